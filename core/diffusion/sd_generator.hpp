// SdGenerator: Stable Diffusion txt2img from a resolved SdModel on one device. The prompt and
// negative prompt go through the CLIP text tower once; then every step runs one graph holding
// both UNet passes (negative first, prompt second; one stage each, sharing the weights), mixes
// them (classifier-free guidance) and takes the sampler's step; the VAE decodes the result. Each
// kind of graph (text, UNet pair, VAE) is a pipeline validated once: later runs only rewrite its
// inputs, and the executor reuses the recorded plan (plans are cached by graph fingerprint).
//
// Ownership: borrows the registry, context and executor; they must outlive the generator.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diffusion/noise.hpp"
#include "diffusion/sd_model.hpp"
#include "graph/executor.hpp"
#include "graph/host_tensor.hpp"
#include "io/image.hpp"
#include "pipeline/pipeline.hpp"
#include "plugin/registry.hpp"
#include "text/clip_vocab_files.hpp"

namespace facet::vk {
class Context;
}

namespace facet::diffusion {

struct Txt2ImgOptions {
  std::string prompt, negative_prompt;
  int64_t steps = 20;
  double cfg_scale = 7.5;  // <= 1: the prompt's pass only (no negative)
  std::string sampler = "ddim";
  uint64_t seed = 0;
  int64_t width = 0, height = 0;  // 0: the UNet's sample_size times the VAE's factor
  std::optional<HostTensor> noise;  // f32 [C, h, w] (or [1, C, h, w]): replaces the seeded draw
  // The draws of stochastic samplers (Euler a, LCM); null: GaussianNoise(seed), after the initial
  // noise when that is drawn too.
  NoiseSource* step_noise = nullptr;
  // Called after each step: step index (from 0), step count, timestep, milliseconds of the step.
  std::function<void(size_t, size_t, double, double)> progress;
  // img2img (StableDiffusionImg2ImgPipeline): the picture to start from. Its size is the output's
  // unless width/height say otherwise (then it is resized with PIL's Lanczos, as diffusers'
  // VaeImageProcessor does); a size that is not a multiple of the VAE factor is rounded down.
  // Of `steps`, the last min(int(steps * strength), steps) run, from the encoded picture
  // (scaling_factor * (mean + std * sample_noise)) noised to the first one's level with `noise`.
  // Draws from the seed come in diffusers' order: sample_noise, then noise, then the steps'.
  std::optional<io::RgbImage> init_image;
  double strength = 0.8;
  std::optional<HostTensor> sample_noise;  // f32 [C, h, w]: replaces the posterior's seeded draw
};

struct Txt2ImgResult {
  HostTensor latents;  // f32 [C, h, w], final (before the VAE)
  io::RgbImage image;
  std::vector<double> timesteps;
  int64_t width = 0, height = 0;
  double text_ms = 0, unet_ms = 0, vae_ms = 0;  // vae_ms: the decoder
  double vae_encode_ms = 0;                      // img2img: the encoder and the initial noising
  std::vector<double> step_ms;  // per UNet call; the first also builds and records the graph
};

class SdGenerator {
 public:
  SdGenerator(SdModel model, plugin::PluginRegistry& registry, vk::Context& ctx, Executor& executor);
  ~SdGenerator();

  const SdModel& model() const { return model_; }
  // i32 [77]: BOS, tokens, EOS, padding with the tokenizer's pad token.
  std::vector<int32_t> tokens(const std::string& text) const;
  // f32 [77, D]: what the UNet's cross-attention reads.
  HostTensor encode_text(const std::string& text);
  // One UNet pass: latents f32 [C, h, w] (already scaled for the sampler), timestep t.
  HostTensor unet(const HostTensor& latents, double t, const HostTensor& text);
  // Both passes in one graph, mixed: uncond + cfg (cond - uncond), f32 [C, h, w].
  HostTensor unet_guided(const HostTensor& latents, double t, const HostTensor& uncond, const HostTensor& cond, double cfg);
  // The VAE decoder: latents f32 [C, h, w] as the VAE takes them (divided by scaling_factor) ->
  // f32 [3, H, W], unclamped.
  HostTensor decode(const HostTensor& latents);
  // The VAE encoder: pixels f32 [3, H, W] in [-1, 1] -> moments f32 [2C, h, w] (mean, then logvar).
  HostTensor encode(const HostTensor& pixels);

  // txt2img, or img2img when options.init_image is set.
  Txt2ImgResult txt2img(const Txt2ImgOptions& options);

 private:
  pipeline::Pipeline& pipeline(const std::string& key, const std::function<pipeline::PipelineSpec()>& make);
  HostTensor t_proj(double t) const;
  // One VAE component (stage "vae") fed `x` at input port `port`.
  HostTensor vae(const std::string& component, const std::string& port, const HostTensor& x);

  SdModel model_;
  text::ClipTokenizer tokenizer_;
  plugin::PluginRegistry& registry_;
  vk::Context& ctx_;
  Executor& executor_;
  std::map<std::string, std::unique_ptr<pipeline::Pipeline>> pipelines_;
};

// An 8-bit RGB image as the VAE encoder takes it: f32 [3, H, W] = 2 x / 255 - 1.
HostTensor from_rgb(const io::RgbImage& image);

// diffusers' image processor: round(clamp(x / 2 + 0.5, 0, 1) * 255) of f32 [3, H, W] as RGB.
io::RgbImage to_rgb(const HostTensor& image);

// The initial noise f32 [C, h, w] from --noise-in: [C, h, w] or [1, C, h, w], else InputError.
HostTensor noise_tensor(const HostTensor& noise, int64_t c, int64_t h, int64_t w, const std::string& where);

}  // namespace facet::diffusion
