// facet ground: ask a multimodal model about an image and show where the things it names are —
// the cleaned answer with its entities and boxes in the original image's pixels (or JSON, as
// DESIGN.md §4 gives it), and with --draw the image with labelled boxes.
#include <iostream>

#include <facet/facet.hpp>

#include "cli_common.hpp"
#include "grounding/draw.hpp"
#include "grounding_output.hpp"
#include "host/convert.hpp"
#include "io/image_write.hpp"

namespace facet::cli {

namespace {

struct GroundCliOptions {
  std::string pipeline, model, image, prompt, format = "auto", region, draw;
  int max_tokens = 128;
  llm::SessionOptions session;
  llm::SamplerOptions sampler;
  bool json = false;
};

}  // namespace

void add_ground(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("ground", "Ask a multimodal model about an image and show the boxes of what it names");
  auto o = std::make_shared<GroundCliOptions>();
  cmd->add_option("pipeline", o->pipeline, "Pipeline TOML file (instead of --model)");
  cmd->add_option("--model", o->model, "Model folder (Kosmos-2, LLaVA-style models that write Shikra boxes, ...)");
  cmd->add_option("--image", o->image, "The image (PNG or JPEG)")->required();
  cmd->add_option("--prompt", o->prompt, "What to ask (default: the format's description request); <region> marks where --region goes");
  cmd->add_option("--format", o->format, "Box format: auto (the model's), kosmos2, shikra, qwen, qwen2, qwen2.5, florence2")
      ->check(CLI::IsMember({"auto", "kosmos2", "shikra", "qwen", "qwen2", "qwen2.5", "florence2"}));
  cmd->add_option("--region", o->region, "A region X1,Y1,X2,Y2 in the image's pixels, written into the prompt in the model's box format");
  cmd->add_option("--max-tokens", o->max_tokens, "New tokens at most (default 128)")->check(CLI::Range(0, 1 << 20));
  add_sampler_options(cmd, o->sampler);
  add_session_options(cmd, o->session, false);
  cmd->add_option("--draw", o->draw, "Write the image with the labelled boxes drawn to this PNG file");
  cmd->add_flag("--json", o->json, "Print {text, entities: [{phrase, span, boxes}]} as JSON");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      // On the host API (facet::Model::ground), as a program using libfacet would do it.
      const pipeline::PipelineSpec spec = load_pipeline_spec(o->pipeline, o->model);  // checked before the GPU
      facet::GroundOptions go;
      go.prompt = o->prompt;
      go.format = o->format;
      if (!o->region.empty()) go.region = to_public(parse_region(o->region));
      go.max_tokens = o->max_tokens;
      go.sampling.temperature = o->sampler.temperature;
      go.sampling.top_k = o->sampler.top_k;
      go.sampling.top_p = o->sampler.top_p;
      go.sampling.min_p = o->sampler.min_p;
      go.sampling.repeat_penalty = o->sampler.repeat_penalty;
      go.sampling.seed = o->sampler.seed;
      facet::Device device(device_options(g, spec.runtime));
      facet::Model model(device, o->pipeline.empty() ? o->model : o->pipeline,
                         facet::ModelOptions{o->session.context, o->session.kv_cache, o->session.quantize, "", false});
      const facet::Image image = facet::Image::load(o->image);
      const facet::Grounding a = model.ground(image, go);
      const grounding::Grounding boxes = to_core(a);
      if (!o->draw.empty()) io::write_png(o->draw, grounding::draw(io::RgbImage{image.width, image.height, image.pixels}, boxes));
      for (const auto& w : a.warnings) std::cerr << "warning: " << w << "\n";
      if (o->json) {
        std::cout << a.json() << "\n";
        return 0;
      }
      std::cout << a.text << "\n";
      print_entities(std::cout, boxes);
      if (a.entities.empty()) std::cout << "  (no boxes; the model wrote: " << a.raw << ")\n";
      if (!o->draw.empty()) std::cout << "boxes drawn: " << o->draw << "\n";
      return 0;
    };
  });
}

}  // namespace facet::cli
