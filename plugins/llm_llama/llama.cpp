// LLaMA-family decoder, as Hugging Face's LlamaForCausalLM computes it, one chunk of T tokens:
//   x = embed_tokens[ids]                                         // f32 [T, D]
//   x[t] = media[-1 - ids[t]] where ids[t] < 0                    // image tokens (LLaVA's merge)
//   per layer i:
//     h = rms_norm(x) * input_layernorm
//     q, k, v = h Wq^T (+bq), h Wk^T (+bk), h Wv^T (+bv)          // [T, H, Dh], [T, Hkv, Dh]
//     q, k = rope(q, k) at `positions` (rotate-half convention, cos/sin from rope_theta and scaling)
//     k_cache[positions] = k; v_cache[positions] = v              // graph states [context, Hkv, Dh], f16 or f32
//     x += attention(q, k_cache, v_cache, positions) Wo^T         // query t sees cache rows 0..pos[t]
//                                                                 // (pos[t] - window + 1 .. pos[t] with a sliding window)
//   With `slots` S > 1 the caches are [S * context, Hkv, Dh], one sequence per `context` rows; a
//   position is a row s * context + p, rope rotates by p (period) and attention keeps to the
//   sequence's rows (segment): a run of T tokens of T sequences is one batched decode step.
//     h = rms_norm(x) * post_attention_layernorm
//     x += (silu(h Wg^T) * (h Wu^T)) Wd^T
//   logits = rms_norm(x[last or all]) * norm W_lm^T             // lm_head, or embed_tokens when tied
#include "llama.hpp"

#include <facet/nn.hpp>

#include <cmath>

#include "../common/hf_config.hpp"
#include "../common/llm_params.hpp"
#include "gguf_names.hpp"

namespace facet::plugins {

using sdk::attr;
using sdk::Desc;
using sdk::Error;
using sdk::Tensor;
namespace nn = sdk::nn;

namespace {

bool supported_type(const std::string& t) { return t == "llama" || t == "mistral" || t == "qwen2"; }

// The LLaVA repository's checkpoints (LlavaLlamaForCausalLM, LlavaMistralForCausalLM) keep a
// LLaMA/Mistral config and the language model's tensors under their usual names.
bool llava_repo_type(const std::string& t) { return t == "llava_llama" || t == "llava_mistral"; }

}  // namespace

std::string Llama::p(const std::string& name) const { return gguf_ ? gguf_name(name) : prefix_ + name; }

Llama::Llama(const sdk::StageConfig& cfg) : w_(cfg.weights()), prefix_(cfg.get_string("prefix")) {
  if (!w_.present()) throw Error("llm_llama needs weights: a Hugging Face model folder or a GGUF file");
  std::string gguf_meta;
  gguf_ = w_.file("gguf.json", &gguf_meta);
  const HfConfig root = gguf_ ? gguf_config(w_, gguf_meta) : HfConfig::load(w_);
  // llama.cpp permutes the q/k rows of "llama" models for its interleaved rotary; qwen2 keeps halves.
  rope_mode_ = gguf_ && root.get_string("model_type", "") == "llama" ? 1 : 0;
  const std::string type = root.get_string("model_type", "");
  HfConfig c = root;
  if (type == "llava") {
    c = root.sub("text_config");
    if (prefix_.empty()) prefix_ = "language_model.";
  } else if (!supported_type(type) && !llava_repo_type(type)) {
    throw Error("config.json: model_type '" + type +
                "' is not a LLaMA-family model (llama, mistral, qwen2, llava, llava_llama, llava_mistral)");
  }
  const std::string text_type = llava_repo_type(type) ? "llama" : c.get_string("model_type", "llama");
  if (!supported_type(text_type)) throw Error("config.json: text model_type '" + text_type + "' is not supported");
  // LlamaConfig defaults.
  dim_ = c.get_int("hidden_size", 4096);
  ff_ = c.get_int("intermediate_size", 11008);
  layers_ = c.get_int("num_hidden_layers", 32);
  heads_ = c.get_int("num_attention_heads", 32);
  kv_heads_ = c.get_int("num_key_value_heads", heads_);
  head_dim_ = c.get_int("head_dim", dim_ / heads_);
  vocab_ = c.get_int("vocab_size", 32000);
  eps_ = c.get_positive("rms_norm_eps", 1e-6);
  theta_ = c.get_positive("rope_theta", 10000.0);
  const int64_t max_pos = c.get_int("max_position_embeddings", 2048);
  if (heads_ % kv_heads_ != 0) c.fail("num_key_value_heads", "must divide num_attention_heads");
  if (head_dim_ % 2 != 0 || head_dim_ > 256) c.fail("head_dim", "must be even and at most 256");
  const std::string act = c.get_string("hidden_act", "silu");
  if (act != "silu") c.fail("hidden_act", "'" + act + "' is not supported (silu)");
  const HfConfig rs = c.sub("rope_scaling");
  if (c.has("rope_scaling")) {
    scaling_ = rs.get_string("rope_type", rs.get_string("type", "default"));
    if (scaling_ == "default") scaling_.clear();
    factor_ = rs.get_float("factor", 1.0);
    if (scaling_ == "llama3") {
      low_freq_ = rs.get_positive("low_freq_factor", 1.0);
      high_freq_ = rs.get_positive("high_freq_factor", 4.0);
      original_context_ = rs.get_positive("original_max_position_embeddings", 8192.0);
      if (!(high_freq_ > low_freq_)) rs.fail("high_freq_factor", "must be greater than low_freq_factor");
    } else if (!scaling_.empty() && scaling_ != "linear") {
      rs.fail("rope_type", "'" + scaling_ + "' is not supported (linear, llama3)");
    }
    if (!(factor_ > 0)) rs.fail("factor", "must be positive");
  }
  // Sliding-window attention: Mistral's `sliding_window` in every layer; Qwen2's only with
  // `use_sliding_window`, in the layers from `max_window_layers` on.
  window_.assign(static_cast<size_t>(layers_), 0);
  if (c.has("sliding_window") && text_type != "llama") {
    const int64_t window = c.get_int("sliding_window", 0);
    const bool qwen2 = text_type == "qwen2";
    if (!qwen2 || c.get_bool("use_sliding_window", false)) {
      const int64_t from = qwen2 ? c.get_int("max_window_layers", layers_, 0) : 0;
      for (int64_t i = from; i < layers_; ++i) window_[static_cast<size_t>(i)] = window;
    }
  }
  // GGUF files of LLaMA-3.1 and later carry their rope scaling as per-frequency divisors.
  if (gguf_ && w_.has("rope_freqs.weight")) {
    freq_factors_ = w_.read_f32("rope_freqs.weight");
    if (static_cast<int64_t>(freq_factors_.size()) != head_dim_ / 2)
      throw Error("GGUF tensor 'rope_freqs.weight' has " + std::to_string(freq_factors_.size()) + " values; the head needs " +
                  std::to_string(head_dim_ / 2));
    for (float f : freq_factors_)
      if (!(f > 0.0f) || !std::isfinite(f)) throw Error("GGUF tensor 'rope_freqs.weight' holds a factor that is not positive");
  }
  const std::string quantize = cfg.get_string("quantize");
  if (quantize == "q8_0") w_.quantize_matrices(FACET_DTYPE_Q8_0);
  else if (quantize == "q4_0") w_.quantize_matrices(FACET_DTYPE_Q4_0);
  else if (!quantize.empty()) throw Error("param quantize must be '', 'q8_0' or 'q4_0', got '" + quantize + "'");
  const LlmParams params = LlmParams::read(cfg, max_pos);
  kv_dtype_ = params.kv_dtype;
  context_ = params.context;
  all_logits_ = params.all_logits;
  slots_ = cfg.get_int("slots");
  if (slots_ < 1 || slots_ > 64) throw Error("param slots must be between 1 and 64, got " + std::to_string(slots_));

  Desc emb = w_.desc(p("model.embed_tokens.weight"));
  if (emb.rank != 2 || emb.dims[0] != vocab_ || emb.dims[1] != dim_)
    throw Error("tensor '" + p("model.embed_tokens.weight") + "' must be [vocab_size, hidden_size]");
  const bool tied = c.get_bool("tie_word_embeddings", false) || !w_.has(p("lm_head.weight"));
  head_name_ = tied ? p("model.embed_tokens.weight") : p("lm_head.weight");
  for (int64_t i = 0; i < layers_; ++i) {
    const std::string l = "model.layers." + std::to_string(i) + ".";
    Desc q = w_.desc(p(l + "self_attn.q_proj.weight")), k = w_.desc(p(l + "self_attn.k_proj.weight"));
    if (q.dims[0] != heads_ * head_dim_ || q.dims[1] != dim_ || k.dims[0] != kv_heads_ * head_dim_)
      throw Error("tensor '" + p(l + "self_attn.q_proj.weight") + "' or k_proj does not match the config's heads and head_dim");
    w_.desc(p(l + "mlp.gate_proj.weight"));
  }
}

std::vector<Desc> Llama::infer(const std::vector<Desc>& in) {
  const int64_t t = in[0].dims[0];
  if (!in[2].absent() && in[2].dims[1] != dim_)
    throw Error("media rows of width " + std::to_string(in[2].dims[1]) + " do not match the language model's hidden_size " +
                std::to_string(dim_) + " (the adapter's output width must equal it)");
  if (in[1].dims[0] != t)
    throw Error("ids [" + std::to_string(t) + "] and positions [" + std::to_string(in[1].dims[0]) + "] differ in length");
  if (t < 1 || t > context_ * slots_)
    throw Error("a chunk of " + std::to_string(t) + " tokens does not fit the KV cache of " + std::to_string(context_ * slots_) +
                " positions");
  return {Desc(FACET_DTYPE_F32, {all_logits_ ? t : 1, vocab_})};
}

// inv_freq as transformers computes it (f32), with linear or llama3 scaling (or divided by a GGUF
// file's rope_freqs factors, llama.cpp's form of llama3 scaling); then the angle
// position * inv_freq in f32, as torch multiplies in f32.
void Llama::rope_tables(std::vector<float>& cos_t, std::vector<float>& sin_t) const {
  const int64_t half = head_dim_ / 2;
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim_);
    inv[i] = 1.0f / static_cast<float>(std::pow(static_cast<float>(theta_), exponent));
    if (scaling_ == "linear") inv[i] = inv[i] / static_cast<float>(factor_);
    if (scaling_ == "llama3") {
      const double low_wavelen = original_context_ / low_freq_, high_wavelen = original_context_ / high_freq_;
      const double wavelen = 2.0 * M_PI / inv[i];
      if (wavelen > low_wavelen) {
        inv[i] = static_cast<float>(inv[i] / factor_);
      } else if (wavelen >= high_wavelen) {
        const double smooth = (original_context_ / wavelen - low_freq_) / (high_freq_ - low_freq_);
        inv[i] = static_cast<float>((1.0 - smooth) * inv[i] / factor_ + smooth * inv[i]);
      }
    }
    if (!freq_factors_.empty()) inv[i] = inv[i] / freq_factors_[static_cast<size_t>(i)];  // GGUF rope_freqs
  }
  cos_t.resize(static_cast<size_t>(context_ * half));
  sin_t.resize(cos_t.size());
  for (int64_t pos = 0; pos < context_; ++pos)
    for (int64_t i = 0; i < half; ++i) {
      float angle = static_cast<float>(pos) * inv[i];
      cos_t[pos * half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      sin_t[pos * half + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
}

std::vector<Tensor> Llama::build(sdk::Graph& g, const std::vector<Tensor>& in) {
  const Tensor& ids = in[0];  // i32 [T]
  const Tensor& pos = in[1];  // i32 [T]
  const int64_t t = ids.desc().dims[0], half = head_dim_ / 2;
  std::vector<float> cos_v, sin_v;
  rope_tables(cos_v, sin_v);
  Tensor cos_t = g.constant("rope.cos", Desc(FACET_DTYPE_F32, {context_, half}), cos_v);
  Tensor sin_t = g.constant("rope.sin", Desc(FACET_DTYPE_F32, {context_, half}), sin_v);
  Tensor x = g.op("get_rows", "embed_tokens", {g.weight(w_, p("model.embed_tokens.weight")), ids});  // f32 [T, D]
  if (in[2].present()) x = g.op("splice_rows", "embed_media", {x, in[2], ids});                         // f32 [T, D]
  for (int64_t i = 0; i < layers_; ++i) {
    const std::string l = "model.layers." + std::to_string(i) + ".";
    const std::string n = "blk." + std::to_string(i) + ".";
    Tensor h = g.op("rms_norm", n + "attn_norm", {x, nn::param(g, w_, p(l + "input_layernorm.weight"))}, {attr("eps", eps_)});
    Tensor q = g.reshape(nn::linear(g, w_, p(l + "self_attn.q_proj"), h), Desc(FACET_DTYPE_F32, {t, heads_, head_dim_}));
    Tensor k = g.reshape(nn::linear(g, w_, p(l + "self_attn.k_proj"), h), Desc(FACET_DTYPE_F32, {t, kv_heads_, head_dim_}));
    Tensor v = g.reshape(nn::linear(g, w_, p(l + "self_attn.v_proj"), h), Desc(FACET_DTYPE_F32, {t, kv_heads_, head_dim_}));
    const int64_t period = slots_ > 1 ? context_ : 0;  // positions are rows of a cache of several sequences
    q = g.op("rope", n + "rope_q", {q, pos, cos_t, sin_t}, {attr("mode", rope_mode_), attr("period", period)});
    k = g.op("rope", n + "rope_k", {k, pos, cos_t, sin_t}, {attr("mode", rope_mode_), attr("period", period)});
    const Desc cache(kv_dtype_, {context_ * slots_, kv_heads_, head_dim_});
    Tensor kc = g.op("set_rows", n + "k_cache", {g.state(n + "k_cache", cache), k, pos});  // [context, Hkv, Dh]
    Tensor vc = g.op("set_rows", n + "v_cache", {g.state(n + "v_cache", cache), v, pos});
    Tensor a = g.op("attention", n + "attn", {q, kc, vc, pos}, {attr("window", window_[static_cast<size_t>(i)]), attr("segment", period)});  // [T, H, Dh]
    a = g.reshape(a, Desc(FACET_DTYPE_F32, {t, heads_ * head_dim_}));
    x = g.op("add", n + "attn_residual", {x, nn::linear(g, w_, p(l + "self_attn.o_proj"), a)});
    h = g.op("rms_norm", n + "ffn_norm", {x, nn::param(g, w_, p(l + "post_attention_layernorm.weight"))}, {attr("eps", eps_)});
    Tensor gate = nn::linear(g, w_, p(l + "mlp.gate_proj"), h), up = nn::linear(g, w_, p(l + "mlp.up_proj"), h);
    Tensor ffn = nn::linear(g, w_, p(l + "mlp.down_proj"), g.op("swiglu", n + "ffn_swiglu", {gate, up}));
    x = g.op("add", n + "ffn_residual", {x, ffn});
  }
  if (!all_logits_ && t > 1)
    x = g.op("slice", "last_token", {x}, {attr("dim", int64_t{0}), attr("start", t - 1), attr("end", t)});
  x = g.op("rms_norm", "output_norm", {x, nn::param(g, w_, p("model.norm.weight"))}, {attr("eps", eps_)});
  return {g.op("matmul", "lm_head", {x, g.weight(w_, head_name_)})};  // f32 [1 or T, vocab]
}

}  // namespace facet::plugins
