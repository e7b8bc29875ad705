// What a facet::Model holds (internal to libfacet), by kind: an encoder's or CLIP's folder, a
// language model's VlmSession, or a Stable Diffusion generator, with its own Executor (plans,
// weights, KV cache) on the Device's context.
#pragma once

#include <facet/facet.hpp>

#include <memory>
#include <optional>

#include "diffusion/sd_generator.hpp"
#include "graph/executor.hpp"
#include "host/device_state.hpp"
#include "llm/batcher.hpp"
#include "llm/sampler.hpp"
#include "llm/vlm_session.hpp"
#include "pipeline/model_folder.hpp"

namespace facet {

struct Model::State {
  // First member: the last destroyed, so the context outlives everything made from it.
  std::shared_ptr<Device::State> device;
  std::string path;
  ModelKind kind = ModelKind::VisionEncoder;
  ModelOptions options;
  std::unique_ptr<plugin::PluginRegistry> own_registry;  // a pipeline's [runtime] plugin_paths
  std::unique_ptr<Executor> executor;
  std::optional<pipeline::ModelFolder> folder;  // encoders and CLIP
  float clip_scale = 0;                          // CLIP: exp(logit_scale)
  std::unique_ptr<llm::VlmSession> vlm;          // language models
  std::unique_ptr<llm::Batcher> batcher;         // language models opened with parallel > 1 (after vlm: freed first)
  std::unique_ptr<diffusion::SdGenerator> sd;    // image generators

  plugin::PluginRegistry& registry() { return own_registry ? *own_registry : device->registry; }
};

// UsageError unless the model is of one of the kinds that answer `call`.
void require_kind(const Model::State& s, std::initializer_list<ModelKind> kinds, const char* call);
// Runs fn with the language model's session to itself: between the batcher's steps in the slot it
// keeps (parallel > 1), else under the device's lock.
void with_session(Model::State& s, const std::function<void(llm::VlmSession&)>& fn);
// GenerateOptions' sampling fields, checked (InputError for NaN or out-of-range values).
llm::SamplerOptions sampler_options(const GenerateOptions& o);

// Converters between the public types and core's.
io::RgbImage to_rgb(const Image& image);
Image from_rgb(io::RgbImage image);
// Decodes and preprocesses images on every core (`prepare(i)` for i in [0, n)), in order.
std::vector<HostTensor> prepare_parallel(size_t n, const std::function<HostTensor(size_t)>& prepare);

}  // namespace facet
