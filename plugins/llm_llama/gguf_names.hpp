// GGUF files of llama.cpp's "llama" and "qwen2" architectures read through the Hugging Face code
// path: the metadata (the file "gguf.json" the host presents) becomes the config.json fields the
// model reads, and Hugging Face tensor names map to GGUF ones.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "../common/hf_config.hpp"

namespace facet::plugins {

// The config.json equivalent of a GGUF file's metadata. `vocab` is token_embd.weight's row count.
inline HfConfig gguf_config(const sdk::Weights& w, const std::string& text) {
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw sdk::Error(std::string("gguf.json is not valid JSON: ") + e.what());
  }
  const std::string arch = m.value("general.architecture", "");
  if (arch != "llama" && arch != "qwen2")
    throw sdk::Error("GGUF general.architecture '" + arch + "' is not a LLaMA-family model Facet reads (llama, qwen2)");
  nlohmann::json c = {{"model_type", arch}};
  auto copy = [&](const std::string& key, const char* hf) {
    if (m.contains(arch + "." + key)) c[hf] = m[arch + "." + key];
  };
  copy("embedding_length", "hidden_size");
  copy("feed_forward_length", "intermediate_size");
  copy("block_count", "num_hidden_layers");
  copy("attention.head_count", "num_attention_heads");
  copy("attention.head_count_kv", "num_key_value_heads");
  copy("attention.key_length", "head_dim");
  copy("attention.layer_norm_rms_epsilon", "rms_norm_eps");
  copy("rope.freq_base", "rope_theta");
  copy("context_length", "max_position_embeddings");
  for (const char* k : {"embedding_length", "block_count", "attention.head_count"})
    if (!m.contains(arch + "." + k)) throw sdk::Error("GGUF metadata has no " + arch + "." + k);
  const std::string scaling = m.value(arch + ".rope.scaling.type", "none");
  if (scaling == "linear") {
    c["rope_scaling"] = {{"rope_type", "linear"}, {"factor", m.value(arch + ".rope.scaling.factor", 1.0)}};
  } else if (scaling != "none") {
    throw sdk::Error("GGUF " + arch + ".rope.scaling.type '" + scaling + "' is not supported (none, linear)");
  }
  c["vocab_size"] = w.desc("token_embd.weight").dims[0];
  c["tie_word_embeddings"] = !w.has("output.weight");
  const int64_t hidden = c["hidden_size"], heads = c["num_attention_heads"];
  const int64_t head_dim = c.value("head_dim", hidden / heads);
  if (m.contains(arch + ".rope.dimension_count") && m[arch + ".rope.dimension_count"] != head_dim)
    throw sdk::Error("GGUF " + arch + ".rope.dimension_count differs from the head size (partial rotary is not supported)");
  return HfConfig(std::move(c), "GGUF metadata");
}

// A Hugging Face tensor name (or prefix, without .weight/.bias) as llama.cpp names it.
inline std::string gguf_name(const std::string& hf) {
  std::string base = hf, suffix;
  for (const char* s : {".weight", ".bias"}) {
    const std::string sx = s;
    if (base.size() > sx.size() && base.compare(base.size() - sx.size(), sx.size(), sx) == 0) {
      suffix = sx;
      base.resize(base.size() - sx.size());
      break;
    }
  }
  if (base == "model.embed_tokens") return "token_embd" + suffix;
  if (base == "model.norm") return "output_norm" + suffix;
  if (base == "lm_head") return "output" + suffix;
  const std::string layers = "model.layers.";
  if (base.compare(0, layers.size(), layers) == 0) {
    size_t dot = base.find('.', layers.size());
    const std::string n = base.substr(layers.size(), dot - layers.size()), rest = base.substr(dot + 1);
    static const std::pair<const char*, const char*> map[] = {
        {"input_layernorm", "attn_norm"}, {"self_attn.q_proj", "attn_q"},   {"self_attn.k_proj", "attn_k"},
        {"self_attn.v_proj", "attn_v"},   {"self_attn.o_proj", "attn_output"}, {"post_attention_layernorm", "ffn_norm"},
        {"mlp.gate_proj", "ffn_gate"},    {"mlp.up_proj", "ffn_up"},         {"mlp.down_proj", "ffn_down"},
    };
    for (const auto& [from, to] : map)
      if (rest == from) return "blk." + n + "." + to + suffix;
  }
  return hf;
}

}  // namespace facet::plugins
