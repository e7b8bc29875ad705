// The CLIP vision tower (Hugging Face CLIPVisionTransformer + visual_projection) as a component.
#pragma once

#include <facet/plugin.hpp>

#include <string>

#include "../common/vision_output.hpp"

namespace facet::plugins {

class ClipVision : public sdk::Component {
 public:
  static constexpr const char* name = "vision";
  static constexpr facet_component_kind kind = FACET_KIND_ENCODER;
  static constexpr const char* doc =
      "CLIP vision tower: pixels [3, H, W] (H = W = image_size) -> embeds [1, projection_dim], pooled [1, D], "
      "or hidden states [tokens, D]";
  static inline const sdk::Ports inputs = {
      {"pixels", sdk::contract(FACET_DTYPE_F32, {3, -1, -1}), "f32 [3, H, W] preprocessed pixels"}};
  static inline const sdk::Ports outputs = {{"y", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "f32 [tokens, dim]"}};
  static inline const sdk::Params params = {
      {"output", FACET_PARAM_STRING, 0, "embeds", "embeds | pooled | last_hidden_state | hidden:N"},
      {"tokens", FACET_PARAM_STRING, 0, "all", "all | patch (no CLS) | cls, for hidden states"},
      {"prefix", FACET_PARAM_STRING, 0, "", "tensor name prefix of the tower; empty: found from the folder"},
  };

  explicit ClipVision(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  std::string p(const std::string& name) const { return prefix_ + name; }

  sdk::Weights w_;
  std::string prefix_;
  std::string act_;
  int64_t dim_ = 0, heads_ = 0, layers_ = 0, image_ = 0, patch_ = 0, channels_ = 3, projection_ = 0;
  double eps_ = 1e-5;
  VisionOutput out_;
};

}  // namespace facet::plugins
