// The LLaMA-family decoder (Hugging Face LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM,
// the language model inside a llava folder, and GGUF files of llama.cpp's llama and qwen2
// architectures) as a component that runs one chunk of tokens against a KV cache kept in graph
// states.
#pragma once

#include <facet/plugin.hpp>

#include <string>
#include <vector>

namespace facet::plugins {

class Llama : public sdk::Component {
 public:
  static constexpr const char* name = "llm";
  static constexpr facet_component_kind kind = FACET_KIND_LLM;
  static constexpr const char* doc =
      "LLaMA-family decoder: token ids i32 [T] at absolute positions i32 [T] -> logits f32 [1, vocab] (last "
      "position) or [T, vocab]; keys and values go to a KV cache of `context` positions kept between runs; "
      "a negative id -1-r takes row r of the optional media [N, hidden] (image tokens from an adapter); with "
      "slots > 1 the cache holds that many sequences of `context` rows and positions are rows of it "
      "(sequence s, position p: s * context + p), so one run decodes several sequences";
  static inline const sdk::Ports inputs = {
      {"ids", sdk::contract(FACET_DTYPE_I32, {-1}), "i32 [T] token ids; -1 - r: row r of media"},
      {"positions", sdk::contract(FACET_DTYPE_I32, {-1}), "i32 [T] absolute positions (0-based, < context; < slots * context: cache rows)"},
      {"media", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "optional f32 [N, hidden_size] embeddings of media tokens"},
  };
  static constexpr uint64_t optional_inputs = 1u << 2;  // media
  static inline const sdk::Ports outputs = {{"logits", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "f32 [1 or T, vocab]"}};
  static inline const sdk::Params params = {
      {"context", FACET_PARAM_INT, 0, "0", "KV cache positions (0: max_position_embeddings, at most 4096)"},
      {"slots", FACET_PARAM_INT, 0, "1", "sequences the KV cache holds, `context` rows each (1 to 64; batched decoding)"},
      {"logits", FACET_PARAM_STRING, 0, "last", "last | all"},
      {"prefix", FACET_PARAM_STRING, 0, "", "tensor name prefix; empty: found from the folder"},
      {"kv_cache", FACET_PARAM_STRING, 0, "f16", "f16 | f32: the KV cache's element type"},
      {"quantize", FACET_PARAM_STRING, 0, "", "'' | q8_0 | q4_0: quantize f32/f16/bf16 matrices on load (rows of whole 32-blocks)"},
  };

  explicit Llama(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  // A tensor by its Hugging Face name (the GGUF name for GGUF files).
  std::string p(const std::string& name) const;
  void rope_tables(std::vector<float>& cos, std::vector<float>& sin) const;

  sdk::Weights w_;
  std::string prefix_, head_name_;
  int64_t dim_ = 0, ff_ = 0, layers_ = 0, heads_ = 0, kv_heads_ = 0, head_dim_ = 0, vocab_ = 0, context_ = 0, slots_ = 1;
  double eps_ = 1e-6, theta_ = 10000.0;
  std::string scaling_;  // "", "linear", "llama3"
  double factor_ = 1.0, low_freq_ = 1.0, high_freq_ = 4.0, original_context_ = 8192.0;
  std::vector<float> freq_factors_;  // GGUF rope_freqs: inv_freq[i] is divided by it
  bool all_logits_ = false;
  facet_dtype kv_dtype_ = FACET_DTYPE_F16;
  std::vector<int64_t> window_;  // per layer; 0: full causal attention
  bool gguf_ = false;
  int64_t rope_mode_ = 0;  // 0: rotate-half (Hugging Face, GGUF qwen2); 1: interleaved (GGUF llama)
};

}  // namespace facet::plugins
