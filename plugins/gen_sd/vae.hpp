// Stable Diffusion's AutoencoderKL as two components: the decoder (post_quant_conv + decoder)
// and the encoder (encoder + quant_conv, giving the latent distribution's moments).
#pragma once

#include <facet/plugin.hpp>

#include "sd_config.hpp"

namespace facet::plugins::sd {

class VaeDecoder : public sdk::Component {
 public:
  static constexpr const char* name = "vae_decoder";
  static constexpr facet_component_kind kind = FACET_KIND_GENERATOR;
  static constexpr const char* doc =
      "SD VAE decoder: latents f32 [latent_channels, h, w] (already divided by scaling_factor) -> "
      "image f32 [out_channels, h * 2^(levels-1), w * 2^(levels-1)] in about [-1, 1], unclamped";
  static inline const sdk::Ports inputs = {{"latents", sdk::contract(FACET_DTYPE_F32, {-1, -1, -1}), "f32 [4, h, w]"}};
  static inline const sdk::Ports outputs = {{"y", sdk::contract(FACET_DTYPE_F32, {-1, -1, -1}), "f32 [3, H, W]"}};
  static inline const sdk::Params params = {};

  explicit VaeDecoder(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  sdk::Weights w_;
  VaeConfig c_;
};

class VaeEncoder : public sdk::Component {
 public:
  static constexpr const char* name = "vae_encoder";
  static constexpr facet_component_kind kind = FACET_KIND_GENERATOR;
  static constexpr const char* doc =
      "SD VAE encoder: image f32 [in_channels, H, W] in [-1, 1] (H, W multiples of 2^(levels-1)) -> "
      "moments f32 [2 * latent_channels, h, w]: mean, then logvar (unclamped)";
  static inline const sdk::Ports inputs = {{"pixels", sdk::contract(FACET_DTYPE_F32, {-1, -1, -1}), "f32 [3, H, W]"}};
  static inline const sdk::Ports outputs = {{"y", sdk::contract(FACET_DTYPE_F32, {-1, -1, -1}), "f32 [8, h, w]"}};
  static inline const sdk::Params params = {};

  explicit VaeEncoder(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  sdk::Weights w_;
  VaeConfig c_;
};

}  // namespace facet::plugins::sd
