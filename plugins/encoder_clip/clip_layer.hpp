// One CLIP encoder layer (shared by the vision and text towers), pre-norm:
//   x += out_proj(attention(layer_norm1(x)))   (causal in the text tower)
//   x += fc2(act(fc1(layer_norm2(x))))
#pragma once

#include <facet/nn.hpp>

#include <string>

namespace facet::plugins {

struct ClipLayerConfig {
  int64_t heads = 12;
  double eps = 1e-5;
  std::string act = "quick_gelu";
  bool causal = false;
};

// `l` is the layer's tensor prefix, e.g. "vision_model.encoder.layers.3.". x: f32 [T, D].
inline sdk::Tensor clip_layer(sdk::Graph& g, const sdk::Weights& w, const std::string& l, const sdk::Tensor& x,
                              const ClipLayerConfig& c) {
  namespace nn = sdk::nn;
  sdk::Tensor h = nn::layer_norm(g, w, l + "layer_norm1", x, c.eps);
  h = nn::self_attention(g, w, h, c.heads, l + "self_attn.q_proj", l + "self_attn.k_proj", l + "self_attn.v_proj",
                         l + "self_attn.out_proj", l + "self_attn", c.causal);
  sdk::Tensor y = g.op("add", l + "residual1", {x, h});
  h = nn::layer_norm(g, w, l + "layer_norm2", y, c.eps);
  h = nn::activation(g, c.act, nn::linear(g, w, l + "mlp.fc1", h), l + "mlp.act");
  return g.op("add", l + "residual2", {y, nn::linear(g, w, l + "mlp.fc2", h)});
}

}  // namespace facet::plugins
