// Kosmos-2's image-to-text projection (Kosmos2ForConditionalGeneration between the vision tower
// and the text decoder) as an adapter component.
#pragma once

#include <facet/plugin.hpp>

#include "kosmos2_config.hpp"

namespace facet::plugins {

class Kosmos2Projection : public sdk::Component {
 public:
  static constexpr const char* name = "projection";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc =
      "Kosmos-2 image-to-text connector: the vision tower's last hidden state f32 [N, D_vision] (CLS and patches) -> "
      "post_layernorm, L2 normalize, dense, latent-query cross-attention -> f32 [latent_query_num, embed_dim]";
  static inline const sdk::Ports inputs = {
      {"x", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "f32 [N, D_vision] last hidden state of the vision tower"}};
  static inline const sdk::Ports outputs = {
      {"y", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "f32 [latent_query_num, embed_dim] image embeddings"}};
  static inline const sdk::Params params = {};

  explicit Kosmos2Projection(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  sdk::Weights w_;
  std::string prefix_ = "image_to_text_projection.";  // the connector's tensors
  Kosmos2Config c_;
};

}  // namespace facet::plugins
