// Test-only conversion of Hugging Face LLaMA-family folders to GGUF, following llama.cpp's
// conventions (tensor names, metadata keys, q/k rows permuted for the interleaved rotary of the
// "llama" architecture, vocabularies as tokenizer.ggml.*). Used by tests and by
// tests/tools/make_gguf.cpp; Facet itself only reads GGUF.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "graph/quant.hpp"
#include "io/gguf.hpp"
#include "io/weights.hpp"
#include "support/gguf_writer.hpp"
#include "util/half.hpp"

namespace facet::test {

inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  return nlohmann::json::parse(f);
}

// The vocabulary of a tokenizer.json as GGUF metadata: SentencePiece-style files (byte fallback)
// become model "llama" with scores from the merge ranks, byte-level files
// model "gpt2" with their merges and the pre-tokenizer named by its regex.
inline void add_gguf_tokenizer(GgufWriter& w, const nlohmann::json& tok, const nlohmann::json& config) {
  const auto& m = tok["model"];
  size_t n = 0;
  for (auto& [t, id] : m["vocab"].items()) n = std::max<size_t>(n, id.get<size_t>() + 1);
  for (const auto& a : tok["added_tokens"]) n = std::max<size_t>(n, a["id"].get<size_t>() + 1);
  std::vector<std::string> tokens(n);
  std::vector<int32_t> types(n, 1);
  for (auto& [t, id] : m["vocab"].items()) tokens[id.get<size_t>()] = t;
  const bool spm = m.value("byte_fallback", false);
  for (size_t i = 0; i < n; ++i) {
    if (tokens[i].empty()) tokens[i] = "[PAD" + std::to_string(i) + "]", types[i] = 5;
    if (spm && std::regex_match(tokens[i], std::regex("<0x[0-9A-F]{2}>"))) types[i] = 6;
  }
  for (const auto& a : tok["added_tokens"]) {
    size_t id = a["id"].get<size_t>();
    tokens[id] = a["content"].get<std::string>();
    types[id] = a.value("special", false) ? 3 : 4;
  }
  auto id_of = [&](const std::string& key) -> int32_t {
    if (!config.contains(key)) return -1;
    const auto& v = config[key];
    std::string s = v.is_string() ? v.get<std::string>() : (v.is_object() ? v.value("content", "") : "");
    for (size_t i = 0; i < n; ++i)
      if (tokens[i] == s) return static_cast<int32_t>(i);
    return -1;
  };
  const bool add_bos = config.value("add_bos_token", false) == true;
  w.add_string("tokenizer.ggml.model", spm ? "llama" : "gpt2");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  if (spm) {
    // A token's score is minus the rank of the first merge that makes it (tokens no merge makes
    // score lowest), so merging by score follows the merge order.
    std::vector<float> scores(n, -1e9f);
    std::map<std::string, size_t> ids;
    for (size_t i = 0; i < n; ++i) ids[tokens[i]] = i;
    float rank = 0;
    for (const auto& mg : m["merges"]) {
      std::string ab = mg.is_string() ? mg.get<std::string>() : mg[0].get<std::string>() + " " + mg[1].get<std::string>();
      ab.erase(ab.find(' '), 1);
      auto it = ids.find(ab);
      if (it != ids.end() && scores[it->second] == -1e9f) scores[it->second] = -rank;
      rank += 1;
    }
    w.add_f32s("tokenizer.ggml.scores", scores);
    if (m.contains("unk_token") && m["unk_token"].is_string()) {
      for (size_t i = 0; i < n; ++i)
        if (tokens[i] == m["unk_token"].get<std::string>()) w.add_u32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(i));
    }
  } else {
    std::vector<std::string> merges;
    for (const auto& mg : m["merges"])
      merges.push_back(mg.is_string() ? mg.get<std::string>() : mg[0].get<std::string>() + " " + mg[1].get<std::string>());
    w.add_strings("tokenizer.ggml.merges", merges);
    std::string pre = "gpt2";
    if (tok.dump().find("\\\\p{N}{1,3}") != std::string::npos) pre = "llama-bpe";
    w.add_string("tokenizer.ggml.pre", pre);
  }
  if (id_of("bos_token") >= 0) w.add_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(id_of("bos_token")));
  if (id_of("eos_token") >= 0) w.add_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(id_of("eos_token")));
  w.add_bool("tokenizer.ggml.add_bos_token", add_bos);
  w.add_bool("tokenizer.ggml.add_eos_token", config.value("add_eos_token", false) == true);
  if (config.contains("chat_template") && config["chat_template"].is_string())
    w.add_string("tokenizer.chat_template", config["chat_template"].get<std::string>());
}

// Tensor data in a GGUF type from f32 values (rows along the innermost dim).
inline std::vector<uint8_t> gguf_encode(DType type, const std::vector<float>& v) {
  std::vector<uint8_t> out;
  if (type == DType::F32) {
    out.resize(v.size() * 4);
    std::memcpy(out.data(), v.data(), out.size());
  } else if (type == DType::F16) {
    out.resize(v.size() * 2);
    for (size_t i = 0; i < v.size(); ++i) {
      uint16_t h = f32_to_f16(v[i]);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
  } else {
    out = quantize(type, v.data(), static_cast<int64_t>(v.size()));
  }
  return out;
}

inline std::vector<float> tensor_f32(const io::TensorRef& t) {
  std::vector<float> v(static_cast<size_t>(t.desc.elements()));
  const auto* p = static_cast<const uint8_t*>(t.data);
  for (size_t i = 0; i < v.size(); ++i) {
    uint16_t h;
    switch (t.desc.dtype) {
      case DType::F32: std::memcpy(&v[i], p + 4 * i, 4); break;
      case DType::F16: std::memcpy(&h, p + 2 * i, 2); v[i] = f16_to_f32(h); break;
      case DType::BF16: std::memcpy(&h, p + 2 * i, 2); v[i] = bf16_to_f32(h); break;
      default: throw std::runtime_error("tensor_f32: unsupported dtype");
    }
  }
  return v;
}

// llama.cpp's permutation of q/k rows for the "llama" architecture: within each head the rows
// (0..half-1, half..2half-1) become interleaved pairs (0, half, 1, half+1, ...).
inline std::vector<float> permute_qk(const std::vector<float>& w, int64_t rows, int64_t cols, int64_t heads) {
  const int64_t hd = rows / heads, half = hd / 2;
  std::vector<float> out(w.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int s = 0; s < 2; ++s) {
        const int64_t src = h * hd + s * half + i, dst = h * hd + 2 * i + s;
        std::copy(w.begin() + src * cols, w.begin() + (src + 1) * cols, out.begin() + dst * cols);
      }
  return out;
}

struct GgufConvertOptions {
  DType matrices = DType::F16;  // 2-D weights (embedding and output included); norms stay f32
  std::string arch;             // "" = from config.json ("qwen2" keeps its name, others "llama")
};

// A Hugging Face LLaMA/Mistral/Qwen2 folder as one GGUF file.
inline void convert_hf_llama(const std::string& folder, const std::string& out, const GgufConvertOptions& o = {}) {
  auto c = read_json_file(folder + "/config.json");
  auto ws = io::WeightSet::open(folder);
  const std::string arch = !o.arch.empty() ? o.arch : (c.value("model_type", "llama") == "qwen2" ? "qwen2" : "llama");
  const int64_t dim = c["hidden_size"], heads = c["num_attention_heads"];
  const int64_t kv_heads = c.value("num_key_value_heads", heads), layers = c["num_hidden_layers"];
  GgufWriter w;
  w.add_string("general.architecture", arch);
  w.add_string("general.name", "facet-test");
  w.add_u32(arch + ".context_length", c.value("max_position_embeddings", 2048));
  w.add_u32(arch + ".embedding_length", static_cast<uint32_t>(dim));
  w.add_u32(arch + ".block_count", static_cast<uint32_t>(layers));
  w.add_u32(arch + ".feed_forward_length", c["intermediate_size"].get<uint32_t>());
  w.add_u32(arch + ".attention.head_count", static_cast<uint32_t>(heads));
  w.add_u32(arch + ".attention.head_count_kv", static_cast<uint32_t>(kv_heads));
  w.add_f32(arch + ".attention.layer_norm_rms_epsilon", c.value("rms_norm_eps", 1e-6f));
  w.add_f32(arch + ".rope.freq_base", c.value("rope_theta", 10000.0f));
  w.add_u32(arch + ".rope.dimension_count", static_cast<uint32_t>(c.value("head_dim", dim / heads)));
  add_gguf_tokenizer(w, read_json_file(folder + "/tokenizer.json"), read_json_file(folder + "/tokenizer_config.json"));
  auto put = [&](const std::string& hf, const std::string& name, bool matrix, int64_t permute_heads = 0) {
    auto t = ws->find(hf);
    if (!t) return false;
    std::vector<float> v = tensor_f32(*t);
    if (permute_heads && arch == "llama")
      v = permute_qk(v, t->desc.dims[0], t->desc.rank == 2 ? t->desc.dims[1] : 1, permute_heads);
    DType type = matrix && t->desc.rank == 2 ? o.matrices : DType::F32;
    // As llama.cpp does: rows that are not whole blocks stay f16.
    if (is_quantized(type) && t->desc.dims[t->desc.rank - 1] % dtype_info(type).block_elems != 0) type = DType::F16;
    std::vector<uint64_t> ne;
    for (int d = static_cast<int>(t->desc.rank) - 1; d >= 0; --d) ne.push_back(static_cast<uint64_t>(t->desc.dims[d]));
    w.add_tensor(name, io::ggml_type_of(type), ne, gguf_encode(type, v));
    return true;
  };
  put("model.embed_tokens.weight", "token_embd.weight", true);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string l = "model.layers." + std::to_string(i) + ".", b = "blk." + std::to_string(i) + ".";
    put(l + "input_layernorm.weight", b + "attn_norm.weight", false);
    put(l + "self_attn.q_proj.weight", b + "attn_q.weight", true, heads);
    put(l + "self_attn.k_proj.weight", b + "attn_k.weight", true, kv_heads);
    put(l + "self_attn.v_proj.weight", b + "attn_v.weight", true);
    put(l + "self_attn.q_proj.bias", b + "attn_q.bias", false, heads);
    put(l + "self_attn.k_proj.bias", b + "attn_k.bias", false, kv_heads);
    put(l + "self_attn.v_proj.bias", b + "attn_v.bias", false);
    put(l + "self_attn.o_proj.weight", b + "attn_output.weight", true);
    put(l + "post_attention_layernorm.weight", b + "ffn_norm.weight", false);
    put(l + "mlp.gate_proj.weight", b + "ffn_gate.weight", true);
    put(l + "mlp.up_proj.weight", b + "ffn_up.weight", true);
    put(l + "mlp.down_proj.weight", b + "ffn_down.weight", true);
  }
  put("model.norm.weight", "output_norm.weight", false);
  if (!c.value("tie_word_embeddings", false)) put("lm_head.weight", "output.weight", true);
  // LLaMA-3 rope scaling becomes llama.cpp's rope_freqs: one divisor of inv_freq per frequency.
  if (c.contains("rope_scaling") && c["rope_scaling"].is_object() && c["rope_scaling"].value("rope_type", "") == "llama3") {
    const auto& rs = c["rope_scaling"];
    const double factor = rs["factor"], low = rs["low_freq_factor"], high = rs["high_freq_factor"];
    const double old = rs["original_max_position_embeddings"], theta = c.value("rope_theta", 10000.0);
    const int64_t hd = c.value("head_dim", dim / heads);
    std::vector<float> factors;
    for (int64_t i = 0; i < hd; i += 2) {
      const double freq = 1.0 / std::pow(theta, static_cast<double>(i) / static_cast<double>(hd));
      const double wavelen = 2.0 * M_PI / freq;
      if (wavelen < old / high) factors.push_back(1.0f);
      else if (wavelen > old / low) factors.push_back(static_cast<float>(factor));
      else {
        const double smooth = (old / wavelen - low) / (high - low);
        factors.push_back(static_cast<float>(1.0 / ((1.0 - smooth) / factor + smooth)));
      }
    }
    w.add_tensor("rope_freqs.weight", io::ggml_type_of(DType::F32), {static_cast<uint64_t>(factors.size())},
                 gguf_encode(DType::F32, factors));
  }
  w.write(out);
}

}  // namespace facet::test
