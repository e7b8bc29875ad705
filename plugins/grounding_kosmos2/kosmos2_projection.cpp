// Kosmos-2's image features, as Kosmos2ForConditionalGeneration computes them from the vision
// tower's last hidden state (every token, CLS included):
//   x = post_layernorm(last_hidden_state)                     // f32 [N, Dv], the tower's eps
//   x = x / max(||x||, 1e-12)                                  // F.normalize over Dv
//   h = x W_dense^T + b                                        // f32 [N, D]
//   kv = [h; latent_query]                                     // f32 [N + L, D]
//   y = out_proj(softmax(q k^T / sqrt(Dh)) v)                  // q = q_proj(latent_query); k, v of kv
//                                                              // f32 [L, D], per head, no mask
#include "kosmos2_projection.hpp"

#include <facet/nn.hpp>

#include "../common/weight_shape.hpp"

namespace facet::plugins {

using sdk::Desc;
using sdk::Error;
using sdk::Tensor;
namespace nn = sdk::nn;

namespace {

const std::string kNorm = "vision_model.model.post_layernorm";

}  // namespace

Kosmos2Projection::Kosmos2Projection(const sdk::StageConfig& cfg) : w_(cfg.weights()) {
  if (!w_.present()) throw Error("grounding_kosmos2 needs weights: a Hugging Face Kosmos-2 model folder");
  c_ = Kosmos2Config::load(w_);
  // transformers' module name; the original checkpoint conversion wrote "image_to_text_connector".
  if (!w_.has(prefix_ + "dense.weight") && w_.has("image_to_text_connector.dense.weight")) prefix_ = "image_to_text_connector.";
  expect_shape(w_, kNorm + ".weight", {c_.vision_dim});
  expect_shape(w_, kNorm + ".bias", {c_.vision_dim});
  expect_shape(w_, prefix_ + "dense.weight", {c_.dim, c_.vision_dim});
  expect_shape(w_, prefix_ + "dense.bias", {c_.dim});
  expect_shape(w_, prefix_ + "latent_query", {c_.latents, c_.dim});  // latent_query_num rows
  for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
    expect_shape(w_, prefix_ + "x_attn." + proj + ".weight", {c_.dim, c_.dim});
    expect_shape(w_, prefix_ + "x_attn." + proj + ".bias", {c_.dim});
  }
}

std::vector<Desc> Kosmos2Projection::infer(const std::vector<Desc>& in) {
  if (in[0].dims[1] != c_.vision_dim)
    throw Error("vision features of width " + std::to_string(in[0].dims[1]) + " do not match vision_config.hidden_size " +
                std::to_string(c_.vision_dim));
  return {Desc(FACET_DTYPE_F32, {c_.latents, c_.dim})};
}

std::vector<Tensor> Kosmos2Projection::build(sdk::Graph& g, const std::vector<Tensor>& in) {
  Tensor x = nn::layer_norm(g, w_, kNorm, in[0], c_.vision_eps);                         // f32 [N, Dv]
  x = nn::l2_normalize(g, x, "image_embeds.normalize");                                  // f32 [N, Dv]
  Tensor h = nn::linear(g, w_, prefix_ + "dense", x);                                 // f32 [N, D]
  Tensor latents = nn::param(g, w_, prefix_ + "latent_query");                        // f32 [L, D]
  Tensor kv = g.op("concat", prefix_ + "key_value", {h, latents}, {sdk::attr("dim", int64_t{0})});  // f32 [N + L, D]
  const std::string a = prefix_ + "x_attn.";
  Tensor o = nn::attention(g, nn::linear(g, w_, a + "q_proj", latents), nn::linear(g, w_, a + "k_proj", kv),
                           nn::linear(g, w_, a + "v_proj", kv), c_.heads, a + "attn");  // f32 [L, D]
  return {nn::linear(g, w_, a + "out_proj", o)};                                          // f32 [L, D]
}

}  // namespace facet::plugins
