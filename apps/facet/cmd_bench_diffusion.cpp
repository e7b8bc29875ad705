// facet bench diffusion --model DIR|FILE [--tokenizer T] [--width W --height H] [--steps 20]
// [--cfg-scale 7.5] [--sampler NAME] [-r 3] [--json]: the speed of Stable Diffusion txt2img. One
// warm-up image (one step: graph validation, recording, kernel builds and weight upload are not
// counted), then r images; per image the text encoder, every UNet step (both CFG passes in one
// graph), the VAE decoder and the whole image, wall-clock; medians over the images. Peak resident
// memory is the OS's (getrusage ru_maxrss) at the end.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli_common.hpp"
#include "diffusion/sampler_name.hpp"
#include "diffusion/sd_generator.hpp"
#include "graph/executor.hpp"
#include "plugin/registry.hpp"
#include "util/error.hpp"

namespace facet::cli {

namespace {

struct BenchDiffusionOptions {
  std::string model, tokenizer;
  diffusion::Txt2ImgOptions run;
  int repeat = 3;
  bool json = false;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int run_bench_diffusion(BenchDiffusionOptions& o, const GlobalOptions& g) {
  diffusion::SdModel model = diffusion::SdModel::open(o.model, o.tokenizer);
  pipeline::PipelineSpec none;
  plugin::PluginRegistry registry(plugin_search_paths(g, none));
  vk::Context ctx(context_options(g, none.runtime));
  Executor executor(ctx);
  diffusion::SdGenerator gen(std::move(model), registry, ctx, executor);
  o.run.prompt = "a photo of a red car";
  o.run.negative_prompt = "blurry";

  diffusion::Txt2ImgOptions warm = o.run;
  warm.steps = 1;
  const auto tw = std::chrono::steady_clock::now();
  gen.txt2img(warm);
  const double warm_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - tw).count();

  std::vector<double> text, step, vae, total;
  diffusion::Txt2ImgResult last;
  for (int r = 0; r < o.repeat; ++r) {
    o.run.seed = static_cast<uint64_t>(r);
    const auto t0 = std::chrono::steady_clock::now();
    last = gen.txt2img(o.run);
    total.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    text.push_back(last.text_ms);
    vae.push_back(last.vae_ms);
    step.insert(step.end(), last.step_ms.begin(), last.step_ms.end());
    if (!g.quiet && !o.json) std::fprintf(stderr, "image %d/%d: %.0f ms\n", r + 1, o.repeat, total.back());
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  const auto [step_min, step_max] = std::minmax_element(step.begin(), step.end());
  if (o.json) {
    nlohmann::json j{{"model", o.model},
                     {"device", ctx.info().name},
                     {"width", last.width},
                     {"height", last.height},
                     {"steps", o.run.steps},
                     {"sampler", o.run.sampler},
                     {"cfg_scale", o.run.cfg_scale},
                     {"images", o.repeat},
                     {"warmup_ms", warm_ms},
                     {"text_ms", median(text)},
                     {"unet_step_ms", median(step)},
                     {"unet_step_ms_min", *step_min},
                     {"unet_step_ms_max", *step_max},
                     {"vae_decode_ms", median(vae)},
                     {"image_ms", median(total)},
                     {"images_per_minute", 60000.0 / median(total)},
                     {"peak_rss_mb", rss_mb}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("model %s on %s: %lldx%lld, %lld steps of %s, cfg %g, %d images after a warm-up of %.0f ms\n", o.model.c_str(),
              ctx.info().name.c_str(), static_cast<long long>(last.width), static_cast<long long>(last.height),
              static_cast<long long>(o.run.steps), o.run.sampler.c_str(), o.run.cfg_scale, o.repeat, warm_ms);
  std::printf("%-22s %12s\n", "stage", "median ms");
  std::printf("%-22s %12.1f\n", "text encoder", median(text));
  std::printf("%-22s %12.1f   (min %.1f, max %.1f)\n", "UNet step", median(step), *step_min, *step_max);
  std::printf("%-22s %12.1f\n", "VAE decoder", median(vae));
  std::printf("%-22s %12.1f   (%.2f images/minute)\n", "image", median(total), 60000.0 / median(total));
  std::printf("peak resident memory   %9.0f MB\n", rss_mb);
  return 0;
}

}  // namespace

void add_bench_diffusion(CLI::App* bench, GlobalOptions& g, Action& run) {
  auto* cmd = bench->add_subcommand("diffusion", "Speed of Stable Diffusion txt2img: text encoder, UNet step, VAE decoder, image");
  auto o = std::make_shared<BenchDiffusionOptions>();
  o->run.steps = 20;
  cmd->add_option("--model", o->model, "Stable Diffusion diffusers folder or single-file checkpoint")->required();
  cmd->add_option("--tokenizer", o->tokenizer, "CLIP tokenizer for a single-file checkpoint");
  cmd->add_option("--steps", o->run.steps, "Steps per image (default 20)")->check(CLI::Range(1, 1000));
  cmd->add_option("--cfg-scale", o->run.cfg_scale, "Guidance scale (default 7.5; <= 1: one UNet pass per step)")
      ->check(finite_range(0.0, 100.0));
  cmd->add_option("--sampler", o->run.sampler, "Sampler (default ddim)");
  cmd->add_option("--width", o->run.width, "Image width (default: the model's)")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--height", o->run.height, "Image height (default: the model's)")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("-r,--repetitions", o->repeat, "Images timed after the warm-up (default 3)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([&run, &g, o] { run = [&g, o] { return run_bench_diffusion(*o, g); }; });
}

}  // namespace facet::cli
