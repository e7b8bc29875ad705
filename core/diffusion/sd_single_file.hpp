// A Stable Diffusion single-file checkpoint (the CompVis/LDM layout: model.diffusion_model.*,
// first_stage_model.*, cond_stage_model.*) seen as the three components of a diffusers folder,
// without copying a byte: each component is an io::WeightSet view whose tensors carry diffusers'
// names (VAE attention 1x1 convs reshaped to matrices, OpenCLIP's fused q/k/v cut into three) and
// whose config.json is written from the tensors' shapes.
//
// What shapes cannot say comes from the file's "__metadata__" when present, else from the family:
//   ldm.unet.num_heads | ldm.unet.num_head_channels  SD 1.x: 8 heads; SD 2.x: 64 channels per head
//   ldm.text.num_heads                               hidden size / 64
//   ldm.parameterization ("eps" | "v")               SD 1.x: eps; SD 2.x: v (the 768-v release)
//   ldm.unet.norm_num_groups, ldm.vae.norm_num_groups 32
//   ldm.unet.sample_size                             64; SD 2.x with v: 96
//   ldm.vae.scaling_factor                           0.18215
// The family is the text encoder's layout: cond_stage_model.transformer.* (CLIP ViT-L, SD 1.x) or
// cond_stage_model.model.* (OpenCLIP, SD 2.x, whose UNet reads the penultimate layer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "diffusion/scheduler_config.hpp"
#include "io/weights.hpp"

namespace facet::diffusion {

struct SdSingleFile {
  std::shared_ptr<const io::WeightSet> unet, vae, text;  // views, registered as "<file>#unet" etc.
  bool openclip = false;                                 // SD 2.x text encoder
  Prediction prediction = Prediction::Epsilon;
  int64_t sample_size = 64;
};

// InputError (exit 3) naming the file and the tensor or metadata key that does not fit.
SdSingleFile open_sd_single_file(const std::string& path);

}  // namespace facet::diffusion
