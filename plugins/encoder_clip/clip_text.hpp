// The CLIP text tower (Hugging Face CLIPTextTransformer + text_projection) as a component.
#pragma once

#include <facet/plugin.hpp>

#include <string>

#include "../common/vision_output.hpp"

namespace facet::plugins {

class ClipText : public sdk::Component {
 public:
  static constexpr const char* name = "text";
  static constexpr facet_component_kind kind = FACET_KIND_ENCODER;
  static constexpr const char* doc =
      "CLIP text tower: token ids i32 [T] (T <= max_position_embeddings) -> embeds [1, projection_dim], "
      "pooled [1, D] (at the EOS token) or hidden states [T, D]";
  static inline const sdk::Ports inputs = {{"ids", sdk::contract(FACET_DTYPE_I32, {-1}), "i32 [T] token ids"}};
  static inline const sdk::Ports outputs = {{"y", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "f32 [tokens, dim]"}};
  static inline const sdk::Params params = {
      {"output", FACET_PARAM_STRING, 0, "embeds", "embeds | pooled | last_hidden_state | hidden:N"},
      {"prefix", FACET_PARAM_STRING, 0, "text_model.", "tensor name prefix of the tower"},
      {"final_norm", FACET_PARAM_BOOL, 0, "false",
       "with output hidden:N, apply final_layer_norm to that layer (clip skip: SD 2.x feeds hidden:-2 normed)"},
  };

  explicit ClipText(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  std::string p(const std::string& name) const { return prefix_ + name; }

  sdk::Weights w_;
  std::string prefix_, act_;
  int64_t dim_ = 0, heads_ = 0, layers_ = 0, positions_ = 0, vocab_ = 0, eos_ = 2, projection_ = 0;
  double eps_ = 1e-5;
  bool final_norm_ = false;
  VisionOutput out_;
};

}  // namespace facet::plugins
