// CLIP text tower, as Hugging Face's CLIPTextTransformer computes it:
//   x = token_embedding[ids] + position_embedding[0..T)      // f32 [T, D]; hidden[0] = x
//   per layer: the CLIP encoder layer with causal attention; hidden[i+1] = x
//   last_hidden_state = final_layer_norm(x); hidden:N with final_norm = final_layer_norm(hidden[N])
//   pooled = last_hidden_state[eos], eos = first position of eos_token_id (0 when absent), or,
//   for legacy configs with eos_token_id == 2, the position of the largest id
//   embeds = text_projection(pooled)
#include "clip_text.hpp"

#include <facet/nn.hpp>

#include "../common/hf_config.hpp"
#include "clip_layer.hpp"

namespace facet::plugins {

using sdk::attr;
using sdk::Desc;
using sdk::Error;
using sdk::Tensor;
namespace nn = sdk::nn;

ClipText::ClipText(const sdk::StageConfig& cfg) : w_(cfg.weights()), prefix_(cfg.get_string("prefix")) {
  if (!w_.present()) throw Error("encoder_clip needs weights: a Hugging Face CLIP model folder");
  const HfConfig root = HfConfig::load(w_);
  const std::string type = root.get_string("model_type", "");
  if (type != "clip" && type != "clip_text_model")
    throw Error("config.json: model_type '" + type + "' has no CLIP text tower (clip, clip_text_model)");
  const HfConfig tc = type == "clip" ? root.sub("text_config") : root;
  // CLIPTextConfig defaults.
  dim_ = tc.get_int("hidden_size", 512);
  heads_ = tc.get_int("num_attention_heads", 8);
  layers_ = tc.get_int("num_hidden_layers", 12);
  positions_ = tc.get_int("max_position_embeddings", 77);
  vocab_ = tc.get_int("vocab_size", 49408);
  eos_ = tc.get_int("eos_token_id", 49407, 0);
  eps_ = tc.get_positive("layer_norm_eps", 1e-5);
  act_ = tc.get_string("hidden_act", "quick_gelu");
  if (!nn::known_activation(act_)) tc.fail("hidden_act", "'" + act_ + "' is not supported");
  if (dim_ % heads_ != 0) tc.fail("num_attention_heads", "must divide hidden_size");
  Desc emb = w_.desc(p("embeddings.token_embedding.weight"));
  if (emb.rank != 2 || emb.dims[0] != vocab_ || emb.dims[1] != dim_)
    throw Error("tensor '" + p("embeddings.token_embedding.weight") + "' must be [vocab_size, hidden_size]");
  Desc pos = w_.desc(p("embeddings.position_embedding.weight"));
  if (pos.rank != 2 || pos.dims[0] != positions_ || pos.dims[1] != dim_)
    throw Error("tensor '" + p("embeddings.position_embedding.weight") + "' must be [max_position_embeddings, hidden_size]");
  for (int64_t i = 0; i < layers_; ++i) w_.desc(p("encoder.layers." + std::to_string(i) + ".self_attn.q_proj.weight"));
  projection_ = w_.has("text_projection.weight") ? w_.desc("text_projection.weight").dims[0] : 0;
  out_ = VisionOutput::parse(cfg.get_string("output"), "all", layers_);
  final_norm_ = cfg.get_bool("final_norm");
  if (final_norm_ && out_.kind != VisionOutput::Kind::Hidden) throw Error("param final_norm applies to output hidden:N only");
  if (out_.kind == VisionOutput::Kind::Embeds && projection_ == 0)
    throw Error("output 'embeds' needs 'text_projection.weight', which this folder lacks; use pooled");
}

std::vector<Desc> ClipText::infer(const std::vector<Desc>& in) {
  const int64_t t = in[0].dims[0];
  if (t < 1 || t > positions_)
    throw Error("the text has " + std::to_string(t) + " tokens; this CLIP text tower takes 1.." + std::to_string(positions_));
  if (out_.kind == VisionOutput::Kind::Embeds) return {Desc(FACET_DTYPE_F32, {1, projection_})};
  if (out_.kind == VisionOutput::Kind::Pooled) return {Desc(FACET_DTYPE_F32, {1, dim_})};
  return {Desc(FACET_DTYPE_F32, {t, dim_})};
}

std::vector<Tensor> ClipText::build(sdk::Graph& g, const std::vector<Tensor>& in) {
  const Tensor& ids = in[0];  // i32 [T]
  const int64_t t = ids.desc().dims[0];
  Tensor x = g.op("get_rows", "embeddings.tokens", {g.weight(w_, p("embeddings.token_embedding.weight")), ids});  // f32 [T, D]
  Tensor pos = nn::param(g, w_, p("embeddings.position_embedding.weight"));
  if (t < positions_) pos = g.op("slice", "embeddings.positions", {pos}, {attr("dim", int64_t{0}), attr("start", int64_t{0}), attr("end", t)});
  x = g.op("add", "embeddings.add_positions", {x, pos});
  const int64_t run = out_.kind == VisionOutput::Kind::Hidden ? out_.hidden : layers_;
  const ClipLayerConfig layer{heads_, eps_, act_, true};
  for (int64_t i = 0; i < run; ++i) x = clip_layer(g, w_, p("encoder.layers." + std::to_string(i) + "."), x, layer);
  if (out_.kind == VisionOutput::Kind::Hidden && !final_norm_) return {x};
  x = nn::layer_norm(g, w_, p("final_layer_norm"), x, eps_);                                  // f32 [T, D]
  if (out_.kind == VisionOutput::Kind::LastHiddenState || out_.kind == VisionOutput::Kind::Hidden) return {x};
  Tensor at = eos_ == 2 ? g.op("index_of", "pooled.eos", {ids}, {attr("mode", int64_t{1})})
                        : g.op("index_of", "pooled.eos", {ids}, {attr("mode", int64_t{0}), attr("value", eos_)});
  Tensor pooled = g.op("get_rows", "pooled", {x, at});                                          // f32 [1, D]
  if (out_.kind == VisionOutput::Kind::Pooled) return {pooled};
  return {g.op("matmul", "text_projection", {pooled, g.weight(w_, "text_projection.weight")})};  // f32 [1, proj]
}

}  // namespace facet::plugins
