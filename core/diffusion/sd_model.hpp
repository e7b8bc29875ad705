// A Stable Diffusion model on disk, resolved before anything runs: a diffusers folder
// (model_index.json; unet/, vae/, text_encoder/ each with config.json and safetensors weights;
// tokenizer/; scheduler/scheduler_config.json), or a single-file checkpoint (sd_single_file.hpp:
// its components are weight-set views named "<file>#unet" etc., the tokenizer is given, the
// schedule is SD's standard one). Every path is checked to exist and every config
// value the host needs (the UNet's time projection, the VAE's scaling factor and size ratio, the
// text encoder's clip skip) is read here; errors name the file and the field.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace facet::diffusion {

struct SdModel {
  std::string root;              // the folder
  std::string unet_weights;      // unet/diffusion_pytorch_model.safetensors (or model.safetensors)
  std::string vae_weights;
  std::string text_encoder;      // text_encoder/ folder
  std::string tokenizer;         // tokenizer/ folder, or the --tokenizer given
  std::string scheduler_config;       // scheduler/scheduler_config.json's text
  std::string scheduler_config_path;
  // From unet/config.json.
  int64_t latent_channels = 4, time_dim = 320, sample_size = 64;
  bool flip_sin_to_cos = true;
  double freq_shift = 0;
  // From vae/config.json.
  double scaling_factor = 0.18215;
  int64_t vae_factor = 8;  // pixels per latent = 2^(levels - 1)
  // From unet/config.json: latents per bottom-level cell = 2^(levels - 1). Image sides must be
  // multiples of vae_factor * unet_factor (the UNet's skips are not resized; SD 1.x / 2.x: 64 px).
  int64_t unet_factor = 8;
  int64_t size_step() const { return vae_factor * unet_factor; }
  // The text encoder output the UNet takes: last_hidden_state (every diffusers folder: SD 2.x's
  // conversion keeps only the layers it uses), or the penultimate layer through the final layer
  // norm (clip skip; SD 2.x single files).
  bool penultimate = false;
  bool single_file = false;
  std::shared_ptr<const void> keepalive;  // a single file's component views, while the model lives

  // InputError (exit 3) naming the missing file or bad field. `tokenizer` overrides the folder's.
  static SdModel open(const std::string& path, const std::string& tokenizer = "");
};

}  // namespace facet::diffusion
