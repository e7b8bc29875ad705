// Kosmos-2's text decoder, as Kosmos2TextTransformer + lm_head compute it, one chunk of T tokens:
//   x = embed_tokens[ids]                                        // f32 [T, D]
//   x[t] = media[-1 - ids[t]] where ids[t] < 0                   // image rows (image_embeds_position_mask)
//   x = x * sqrt(D) when scale_embedding                         // image rows scaled too, as in transformers
//   x += sinusoid[positions[t] + pad_token_id + 1]               // M2M100 table; HF numbers positions from pad + 1
//   per layer i:
//     h = LN(x) self_attn_layer_norm
//     q, k, v = h Wq^T + bq, h Wk^T + bk, h Wv^T + bv            // [T, H, Dh]
//     k_cache[positions] = k; v_cache[positions] = v             // graph states [context, H, Dh]
//     a = attention(q, k_cache, v_cache, positions)              // query t sees cache rows 0..pos[t]
//     x += out_proj(LN(a) inner_attn_ln)
//     x += fc2(LN(act(fc1(LN(x) final_layer_norm))) ffn_layernorm)
//   logits = LN(x[last or all]) layer_norm  W^T                 // W: lm_head, tied to embed_tokens
#include "kosmos2_text.hpp"

#include <facet/nn.hpp>

#include <cmath>

#include "../common/llm_params.hpp"
#include "../common/weight_shape.hpp"

namespace facet::plugins {

using sdk::attr;
using sdk::Desc;
using sdk::Error;
using sdk::Tensor;
namespace nn = sdk::nn;

namespace {

const std::string kText = "text_model.model.";

std::string layer(int64_t i) { return kText + "layers." + std::to_string(i) + "."; }

}  // namespace

Kosmos2Text::Kosmos2Text(const sdk::StageConfig& cfg) : w_(cfg.weights()) {
  if (!w_.present()) throw Error("grounding_kosmos2 needs weights: a Hugging Face Kosmos-2 model folder");
  c_ = Kosmos2Config::load(w_);
  const LlmParams params = LlmParams::read(cfg, c_.max_positions);
  kv_dtype_ = params.kv_dtype;
  context_ = params.context;
  all_logits_ = params.all_logits;

  const int64_t d = c_.dim, f = c_.ffn;
  expect_shape(w_, kText + "embed_tokens.weight", {c_.vocab, d});
  head_ = w_.has("text_model.lm_head.weight") ? "text_model.lm_head.weight" : kText + "embed_tokens.weight";
  expect_shape(w_, head_, {c_.vocab, d});
  auto norm = [&](const std::string& name, int64_t n) {
    expect_shape(w_, name + ".weight", {n});
    expect_shape(w_, name + ".bias", {n});
  };
  auto linear = [&](const std::string& name, int64_t out, int64_t in) {
    expect_shape(w_, name + ".weight", {out, in});
    expect_shape(w_, name + ".bias", {out});
  };
  for (int64_t i = 0; i < c_.layers; ++i) {
    const std::string l = layer(i);
    norm(l + "self_attn_layer_norm", d);
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) linear(l + "self_attn." + proj, d, d);
    norm(l + "self_attn.inner_attn_ln", d);
    norm(l + "final_layer_norm", d);
    linear(l + "ffn.fc1", f, d);
    norm(l + "ffn.ffn_layernorm", f);
    linear(l + "ffn.fc2", d, f);
  }
  norm(kText + "layer_norm", d);
}

std::vector<Desc> Kosmos2Text::infer(const std::vector<Desc>& in) {
  const int64_t t = in[0].dims[0];
  if (!in[2].absent() && in[2].dims[1] != c_.dim)
    throw Error("media rows of width " + std::to_string(in[2].dims[1]) + " do not match text_config.embed_dim " +
                std::to_string(c_.dim));
  if (in[1].dims[0] != t)
    throw Error("ids [" + std::to_string(t) + "] and positions [" + std::to_string(in[1].dims[0]) + "] differ in length");
  if (t < 1 || t > context_)
    throw Error("a chunk of " + std::to_string(t) + " tokens does not fit the KV cache of " + std::to_string(context_) +
                " positions");
  return {Desc(FACET_DTYPE_F32, {all_logits_ ? t : 1, c_.vocab})};
}

// M2M100SinusoidalPositionalEmbedding.get_embedding in f32 as torch computes it:
// freq[i] = exp(i * -(log(10000) / (half - 1))), row r = [sin(r * freq), cos(r * freq)] (a zero
// column for odd D), for r = p + pad + 1 (the padding row itself is never read).
std::vector<float> Kosmos2Text::position_table() const {
  const int64_t d = c_.dim, half = d / 2;
  const float step = static_cast<float>(-(std::log(10000.0) / static_cast<double>(half - 1)));
  std::vector<float> freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) freq[i] = std::exp(static_cast<float>(i) * step);
  std::vector<float> table(static_cast<size_t>(context_ * d), 0.0f);
  for (int64_t p = 0; p < context_; ++p) {
    const float row = static_cast<float>(p + c_.pad + 1);
    for (int64_t i = 0; i < half; ++i) {
      const float angle = row * freq[i];
      table[p * d + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
      table[p * d + half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
    }
  }
  return table;
}

std::vector<Tensor> Kosmos2Text::build(sdk::Graph& g, const std::vector<Tensor>& in) {
  const Tensor& ids = in[0];  // i32 [T]
  const Tensor& pos = in[1];  // i32 [T]
  const int64_t t = ids.desc().dims[0], d = c_.dim, hd = d / c_.heads;
  Tensor x = g.op("get_rows", "embed_tokens", {g.weight(w_, kText + "embed_tokens.weight"), ids});  // f32 [T, D]
  if (in[2].present()) x = g.op("splice_rows", "embed_media", {x, in[2], ids});                     // f32 [T, D]
  if (c_.scale_embedding) x = nn::scale(g, x, std::sqrt(static_cast<double>(d)), "embed_scale");   // f32 [T, D]
  Tensor table = g.constant("embed_positions", Desc(FACET_DTYPE_F32, {context_, d}), position_table());
  x = g.op("add", "embed_positions.add", {x, g.op("get_rows", "embed_positions", {table, pos})});  // f32 [T, D]
  for (int64_t i = 0; i < c_.layers; ++i) {
    const std::string l = layer(i), a = l + "self_attn.";
    Tensor h = nn::layer_norm(g, w_, l + "self_attn_layer_norm", x, c_.eps);                       // f32 [T, D]
    Tensor q = g.reshape(nn::linear(g, w_, a + "q_proj", h), Desc(FACET_DTYPE_F32, {t, c_.heads, hd}));
    Tensor k = g.reshape(nn::linear(g, w_, a + "k_proj", h), Desc(FACET_DTYPE_F32, {t, c_.heads, hd}));
    Tensor v = g.reshape(nn::linear(g, w_, a + "v_proj", h), Desc(FACET_DTYPE_F32, {t, c_.heads, hd}));
    const Desc cache(kv_dtype_, {context_, c_.heads, hd});
    Tensor kc = g.op("set_rows", a + "k_cache", {g.state(a + "k_cache", cache), k, pos});  // [context, H, Dh]
    Tensor vc = g.op("set_rows", a + "v_cache", {g.state(a + "v_cache", cache), v, pos});
    Tensor o = g.reshape(g.op("attention", a + "attn", {q, kc, vc, pos}), Desc(FACET_DTYPE_F32, {t, d}));  // f32 [T, D]
    o = nn::layer_norm(g, w_, a + "inner_attn_ln", o, c_.eps);
    x = g.op("add", a + "residual", {x, nn::linear(g, w_, a + "out_proj", o)});
    h = nn::layer_norm(g, w_, l + "final_layer_norm", x, c_.eps);
    h = nn::activation(g, c_.act, nn::linear(g, w_, l + "ffn.fc1", h), l + "ffn.act");              // f32 [T, F]
    h = nn::layer_norm(g, w_, l + "ffn.ffn_layernorm", h, c_.eps);
    x = g.op("add", l + "ffn.residual", {x, nn::linear(g, w_, l + "ffn.fc2", h)});                 // f32 [T, D]
  }
  if (!all_logits_ && t > 1)
    x = g.op("slice", "last_token", {x}, {attr("dim", int64_t{0}), attr("start", t - 1), attr("end", t)});
  x = nn::layer_norm(g, w_, kText + "layer_norm", x, c_.eps);
  return {g.op("matmul", "lm_head", {x, g.weight(w_, head_)})};  // f32 [1 or T, vocab]
}

}  // namespace facet::plugins
