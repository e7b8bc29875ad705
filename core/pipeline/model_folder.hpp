// Hugging Face model folders used without a TOML file (facet embed, preprocess, ...): the
// architecture read from config.json picks the plugin and component, and a one-stage pipeline is
// built in code, validated and run like any other.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "graph/executor.hpp"
#include "graph/host_tensor.hpp"
#include "io/gguf.hpp"
#include "io/image_processor.hpp"
#include "pipeline/spec.hpp"
#include "text/tokenizer.hpp"
#include "plugin/registry.hpp"

namespace facet::pipeline {

struct ModelFolder {
  std::string dir;           // the folder, or the GGUF file
  std::string model_type;    // config.json "model_type" (GGUF: general.architecture)
  std::string architecture;  // config.json "architectures"[0], or ""
  std::shared_ptr<const io::GgufFile> gguf;  // set when `dir` is a GGUF file

  // A folder with config.json, or a GGUF file. Throws InputError naming the path when it or its
  // config.json is missing or malformed.
  static ModelFolder open(const std::string& dir);

  // The plugin holding this folder's vision encoder (encoder_clip, encoder_dinov2); InputError
  // for model types without one.
  std::string vision_plugin() const;
  // preprocessor_config.json (InputError when absent or malformed).
  io::ImageProcessorConfig image_processor() const;
  // tokenizer.json, or the GGUF vocabulary (InputError when absent or malformed).
  text::Tokenizer tokenizer() const;
  // config.json as parsed by open() (an empty object for GGUF files).
  const nlohmann::json& config() const { return *config_; }

 private:
  std::shared_ptr<const nlohmann::json> config_;
};

// A pipeline of one stage "encoder" (plugin/component, weights = the folder) whose input port
// `port` is fed the given tensor; its output is "encoder.y".
PipelineSpec one_stage_pipeline(const ModelFolder& folder, const std::string& plugin, const std::string& component,
                                const std::string& port, std::shared_ptr<const HostTensor> tensor,
                                const std::vector<std::pair<std::string, std::string>>& params);

// A pipeline: input "pixels" (the given tensor) -> the folder's vision encoder -> output "encoder.y".
// `output` and `tokens` are the encoder params of the same names.
PipelineSpec vision_pipeline(const ModelFolder& folder, std::shared_ptr<const HostTensor> pixels,
                             const std::string& output, const std::string& tokens = "all");

}  // namespace facet::pipeline

namespace facet::pipeline {

// `inputs.size()` tensors through one component of the folder's plugin in one graph and one
// submission (one stage per tensor, fed to input port `port`; the stages share the weights,
// uploaded once). Returns the stages' outputs "y" in order.
std::vector<HostTensor> encode_batch(const ModelFolder& folder, const std::string& plugin, const std::string& component,
                                     const std::string& port, const std::vector<std::shared_ptr<const HostTensor>>& inputs,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     plugin::PluginRegistry& registry, vk::Context& ctx, Executor& executor);

// Images through the folder's vision encoder with encode_batch; `output` as the encoder param.
std::vector<HostTensor> embed_batch(const ModelFolder& folder, const std::vector<std::shared_ptr<const HostTensor>>& pixels,
                                    const std::string& output, plugin::PluginRegistry& registry, vk::Context& ctx,
                                    Executor& executor);

}  // namespace facet::pipeline
