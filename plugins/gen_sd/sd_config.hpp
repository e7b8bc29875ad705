// The sizes of Stable Diffusion's UNet2DConditionModel and AutoencoderKL, read from their
// diffusers config.json with each class's defaults; errors name the file and the field.
#pragma once

#include <facet/plugin.hpp>

#include <string>
#include <vector>

namespace facet::plugins::sd {

struct UnetConfig {
  std::vector<int64_t> channels;      // block_out_channels, one per level
  std::vector<bool> cross_down, cross_up;  // CrossAttn{Down,Up}Block2D per level (else Down/UpBlock2D)
  std::vector<int64_t> heads;         // attention heads per level (num_attention_heads, else attention_head_dim)
  int64_t layers = 2;                 // layers_per_block
  int64_t in_channels = 4, out_channels = 4, cross_dim = 768, groups = 32;
  double eps = 1e-5;                  // norm_eps
  bool linear_projection = false;     // use_linear_projection
  bool flip_sin_to_cos = true;
  double freq_shift = 0;
  int64_t time_dim() const { return channels[0]; }  // the sinusoidal projection's width

  static UnetConfig load(const sdk::Weights& w);
};

struct VaeConfig {
  std::vector<int64_t> channels;  // block_out_channels
  int64_t layers = 1;             // layers_per_block
  int64_t in_channels = 3, out_channels = 3, latent = 4, groups = 32;
  double scaling_factor = 0.18215;
  int64_t factor() const { return int64_t{1} << (channels.size() - 1); }  // pixels per latent

  static VaeConfig load(const sdk::Weights& w);
};

}  // namespace facet::plugins::sd
