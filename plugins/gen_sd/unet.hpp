// Stable Diffusion's UNet2DConditionModel (SD 1.x / 2.x) as a generator component.
#pragma once

#include <facet/plugin.hpp>

#include "sd_config.hpp"

namespace facet::plugins::sd {

class Unet : public sdk::Component {
 public:
  static constexpr const char* name = "unet";
  static constexpr facet_component_kind kind = FACET_KIND_GENERATOR;
  static constexpr const char* doc =
      "SD UNet: latents f32 [in_channels, h, w], the timestep's sinusoidal projection f32 [1, block_out_channels[0]], "
      "text states f32 [T, cross_attention_dim] -> model output f32 [out_channels, h, w]";
  static inline const sdk::Ports inputs = {
      {"latents", sdk::contract(FACET_DTYPE_F32, {-1, -1, -1}), "f32 [C, h, w] (scaled model input)"},
      {"t_proj", sdk::contract(FACET_DTYPE_F32, {1, -1}), "f32 [1, C0] sinusoidal timestep projection (time_proj)"},
      {"text", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "f32 [T, D] text encoder states"}};
  static inline const sdk::Ports outputs = {{"y", sdk::contract(FACET_DTYPE_F32, {-1, -1, -1}), "f32 [C, h, w]"}};
  static inline const sdk::Params params = {};

  explicit Unet(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  sdk::Weights w_;
  UnetConfig c_;
};

}  // namespace facet::plugins::sd
