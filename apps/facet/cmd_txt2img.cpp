// facet txt2img / img2img: a Stable Diffusion image from a prompt, or from a prompt and a picture
// (DESIGN.md §4). The loop is core's (diffusion::SdGenerator); this file maps flags to its options
// and writes the results: the PNG with the parameters in a tEXt chunk, --latents-out, a per-step
// progress line on stderr, and --json (seed, sampler, sizes, timesteps, per-stage timings).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli_common.hpp"
#include "diffusion/sampler_name.hpp"
#include "diffusion/sd_generator.hpp"
#include "graph/executor.hpp"
#include "io/image.hpp"
#include "io/image_write.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"

namespace facet::cli {

namespace {

struct Txt2ImgCliOptions {
  std::string model, tokenizer, noise_in, latents_out, out = "txt2img.png", init_image;
  diffusion::Txt2ImgOptions run;
  bool json = false;
};

std::string parameters_text(const Txt2ImgCliOptions& o, const diffusion::Txt2ImgResult& r) {
  std::ostringstream s;
  s << o.run.prompt << "\n";
  if (!o.run.negative_prompt.empty()) s << "Negative prompt: " << o.run.negative_prompt << "\n";
  s << "Steps: " << o.run.steps << ", Sampler: " << o.run.sampler << ", CFG scale: " << o.run.cfg_scale
    << ", Seed: " << o.run.seed << ", Size: " << r.width << "x" << r.height << ", Model: " << o.model
    << (o.noise_in.empty() ? "" : ", Noise: " + o.noise_in);
  if (o.run.init_image) s << ", Init image: " << o.init_image << ", Denoising strength: " << o.run.strength;
  return s.str();
}

void add_generation(CLI::App& app, GlobalOptions& g, Action& run, bool img2img) {
  auto* cmd = img2img ? app.add_subcommand("img2img", "Redraw a picture after a prompt with a Stable Diffusion model")
                      : app.add_subcommand("txt2img", "Generate an image from a prompt with a Stable Diffusion model");
  auto o = std::make_shared<Txt2ImgCliOptions>();
  if (img2img) {
    o->out = "img2img.png";
    cmd->add_option("--init-image", o->init_image, "The picture to start from (PNG, JPEG)")->required();
    cmd->add_option("--strength", o->run.strength, "How much of the schedule runs, in (0, 1] (default 0.8; 1 ignores the picture's detail)")
        ->check(finite_range(0.0, 1.0));
  }
  cmd->add_option("--model", o->model, "Stable Diffusion diffusers folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/)")
      ->required();
  cmd->add_option("--prompt", o->run.prompt, "What to draw")->required();
  cmd->add_option("--negative-prompt", o->run.negative_prompt, "What to steer away from (default: empty)");
  cmd->add_option("--steps", o->run.steps, "Sampling steps (default 20)")->check(CLI::Range(1, 1000));
  cmd->add_option("--cfg-scale", o->run.cfg_scale, "Classifier-free guidance scale (default 7.5; <= 1: no negative pass)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--sampler", o->run.sampler, "Sampler: " + [] {
    std::string s;
    for (const auto& n : diffusion::sampler_names()) s += (s.empty() ? "" : ", ") + n;
    return s;
  }() + " (default ddim)");
  cmd->add_option("--seed", o->run.seed, "Seed of the initial noise (default 0)");
  const std::string size_default = img2img ? "the init image's, rounded down" : "the model's sample size";
  cmd->add_option("--width", o->run.width, "Image width, a multiple of the model's size step (SD 1.x / 2.x: 64) (default: " + size_default + ")")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--height", o->run.height, "Image height, a multiple of the size step (default: " + size_default + ")")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--tokenizer", o->tokenizer, "CLIP tokenizer: a tokenizer/ folder (vocab.json + merges.txt) or tokenizer.json");
  cmd->add_option("--noise-in", o->noise_in, "Initial latent noise, f32 NPY [4, H/8, W/8] or [1, 4, H/8, W/8]");
  cmd->add_option("--latents-out", o->latents_out, "Write the final latents (before the VAE), f32 NPY [4, H/8, W/8]");
  cmd->add_option("--out", o->out, std::string("Output PNG (default ") + (img2img ? "img2img" : "txt2img") + ".png)");
  cmd->add_flag("--json", o->json, "Print seed, sampler, sizes, timesteps and per-stage timings as JSON");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      const auto t0 = std::chrono::steady_clock::now();
      diffusion::SdModel model = diffusion::SdModel::open(o->model, o->tokenizer);
      if (!o->noise_in.empty()) o->run.noise = io::read_npy(o->noise_in);
      if (!o->init_image.empty()) o->run.init_image = io::load_image(o->init_image);
      pipeline::PipelineSpec none;
      plugin::PluginRegistry registry(plugin_search_paths(g, none));
      vk::Context ctx(context_options(g, none.runtime));
      Executor executor(ctx);
      diffusion::SdGenerator gen(std::move(model), registry, ctx, executor);
      if (!g.quiet)
        o->run.progress = [tty = isatty(2) != 0, done_ms = 0.0](size_t i, size_t n, double t, double ms) mutable {
          if (!tty) {  // a log: one plain line per step
            std::fprintf(stderr, "step %zu/%zu  t=%g  %.0f ms\n", i + 1, n, t, ms);
            return;
          }
          // A terminal: one bar redrawn in place, with the rate and the time left after the first
          // step (which also builds the graphs) from the later steps' mean.
          if (i > 0) done_ms += ms;
          const double per = i > 0 ? done_ms / static_cast<double>(i) : ms;
          const int bar = static_cast<int>(25 * (i + 1) / n);
          std::fprintf(stderr, "\rsteps [%s%s] %zu/%zu  %.2f steps/s  %.1f s left ", std::string(static_cast<size_t>(bar), '#').c_str(),
                       std::string(static_cast<size_t>(25 - bar), ' ').c_str(), i + 1, n, 1000.0 / per,
                       per * static_cast<double>(n - i - 1) / 1000.0);
          if (i + 1 == n) std::fputc('\n', stderr);
          std::fflush(stderr);
        };
      const diffusion::Txt2ImgResult r = gen.txt2img(o->run);
      if (!o->latents_out.empty()) io::write_npy(o->latents_out, r.latents);
      io::write_png(o->out, r.image, {{"parameters", parameters_text(*o, r)}});
      const double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (o->json) {
        // Steady state: the steps after the first (which validates, builds and records the graphs).
        const size_t n = r.step_ms.size();
        double later = 0;
        for (size_t i = 1; i < n; ++i) later += r.step_ms[i];
        nlohmann::json j = {{"seed", o->run.seed},
                            {"sampler", o->run.sampler},
                            {"steps", o->run.steps},
                            {"cfg_scale", o->run.cfg_scale},
                            {"width", r.width},
                            {"height", r.height},
                            {"latent_shape", {r.latents.desc.dims[0], r.latents.desc.dims[1], r.latents.desc.dims[2]}},
                            {"timesteps", r.timesteps},
                            {"noise_in", o->noise_in.empty() ? nlohmann::json(nullptr) : nlohmann::json(o->noise_in)},
                            {"init_image", o->init_image.empty() ? nlohmann::json(nullptr) : nlohmann::json(o->init_image)},
                            {"strength", o->init_image.empty() ? nlohmann::json(nullptr) : nlohmann::json(o->run.strength)},
                            {"out", o->out},
                            {"timings_ms",
                             {{"text", r.text_ms},
                              {"unet", r.unet_ms},
                              {"unet_first_step", n ? r.step_ms[0] : 0.0},
                              {"unet_per_step", n > 1 ? later / static_cast<double>(n - 1) : r.unet_ms},
                              {"unet_steps", r.step_ms},
                              {"vae_encode", r.vae_encode_ms},
                              {"vae_decode", r.vae_ms},
                              {"total", total}}}};
        std::cout << j.dump() << "\n";
        return 0;
      }
      std::cout << "wrote " << o->out << " (" << r.width << "x" << r.height << ", " << r.timesteps.size() << " steps, "
                << o->run.sampler << ", seed " << o->run.seed << ")\n";
      return 0;
    };
  });
}

}  // namespace

void add_txt2img(CLI::App& app, GlobalOptions& g, Action& run) { add_generation(app, g, run, false); }
void add_img2img(CLI::App& app, GlobalOptions& g, Action& run) { add_generation(app, g, run, true); }

}  // namespace facet::cli
