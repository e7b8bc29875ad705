// facet preprocess / facet embed: one image through a model folder's image processor, and then
// through its vision encoder (a one-stage pipeline built from config.json).
#include <iostream>

#include "cli_common.hpp"
#include "graph/executor.hpp"
#include "io/image.hpp"
#include "io/npy.hpp"
#include "pipeline/model_folder.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::cli {

namespace {

struct EmbedOptions {
  std::string model, image, out, output = "embeds", tokens = "all";
};

std::shared_ptr<const HostTensor> pixels_of(const pipeline::ModelFolder& folder, const std::string& image) {
  io::ImageProcessorConfig processor = folder.image_processor();
  return std::make_shared<const HostTensor>(io::preprocess_image(io::load_image(image), processor));
}

std::string shape_text(const HostTensor& t) { return t.desc.str(); }

}  // namespace

void add_preprocess(CLI::App& app, GlobalOptions&, Action& run) {
  auto* cmd = app.add_subcommand("preprocess", "Write the pixel tensor a model folder's image processor makes of an image");
  auto o = std::make_shared<EmbedOptions>();
  cmd->add_option("--model", o->model, "Hugging Face model folder (preprocessor_config.json)")->required();
  cmd->add_option("--image", o->image, "PNG or JPEG image")->required();
  cmd->add_option("--out", o->out, "Output NPY file: f32 [3, H, W]")->required();
  cmd->callback([&run, o] {
    run = [o] {
      auto folder = pipeline::ModelFolder::open(o->model);
      auto pixels = pixels_of(folder, o->image);
      io::write_npy(o->out, *pixels);
      std::cout << o->out << ": " << shape_text(*pixels) << "\n";
      return 0;
    };
  });
}

void add_embed(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("embed", "Embed an image with a model folder's vision encoder");
  auto o = std::make_shared<EmbedOptions>();
  cmd->add_option("--model", o->model, "Hugging Face model folder (CLIP, DINOv2)")->required();
  cmd->add_option("--image", o->image, "PNG or JPEG image")->required();
  cmd->add_option("--output", o->output, "embeds | pooled | last_hidden_state | hidden:N");
  cmd->add_option("--tokens", o->tokens, "all | patch | cls (hidden states only)");
  cmd->add_option("--out", o->out, "Output NPY file: f32 [tokens, dim]")->required();
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      auto folder = pipeline::ModelFolder::open(o->model);
      auto pixels = pixels_of(folder, o->image);
      pipeline::PipelineSpec spec = pipeline::vision_pipeline(folder, pixels, o->output, o->tokens);
      HostTensor y = run_spec(spec, g).at("encoder.y");
      io::write_npy(o->out, y);
      std::cout << o->out << ": " << shape_text(y) << "\n";
      return 0;
    };
  });
}

}  // namespace facet::cli
