// Kosmos-2's text decoder (Kosmos2TextForCausalLM inside Kosmos2ForConditionalGeneration) as an
// LLM component with llm_llama's ports and params, so LlmSession and VlmSession run it unchanged:
// one chunk of tokens at given positions against a KV cache kept in graph states.
#pragma once

#include <facet/plugin.hpp>

#include <string>
#include <vector>

#include "kosmos2_config.hpp"

namespace facet::plugins {

class Kosmos2Text : public sdk::Component {
 public:
  static constexpr const char* name = "text";
  static constexpr facet_component_kind kind = FACET_KIND_LLM;
  static constexpr const char* doc =
      "Kosmos-2 text decoder: token ids i32 [T] at absolute positions i32 [T] -> logits f32 [1, vocab] (last "
      "position) or [T, vocab]; keys and values go to a KV cache of `context` positions kept between runs; "
      "a negative id -1-r takes row r of the optional media [N, embed_dim] (the projected image)";
  static inline const sdk::Ports inputs = {
      {"ids", sdk::contract(FACET_DTYPE_I32, {-1}), "i32 [T] token ids; -1 - r: row r of media"},
      {"positions", sdk::contract(FACET_DTYPE_I32, {-1}), "i32 [T] absolute positions (0-based, < context)"},
      {"media", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "optional f32 [N, embed_dim] image embeddings"},
  };
  static constexpr uint64_t optional_inputs = 1u << 2;  // media
  static inline const sdk::Ports outputs = {{"logits", sdk::contract(FACET_DTYPE_F32, {-1, -1}), "f32 [1 or T, vocab]"}};
  static inline const sdk::Params params = {
      {"context", FACET_PARAM_INT, 0, "0", "KV cache positions (0: max_position_embeddings, at most 4096)"},
      {"logits", FACET_PARAM_STRING, 0, "last", "last | all"},
      {"kv_cache", FACET_PARAM_STRING, 0, "f16", "f16 | f32: the KV cache's element type"},
  };

  explicit Kosmos2Text(const sdk::StageConfig& cfg);
  std::vector<sdk::Desc> infer(const std::vector<sdk::Desc>& in) override;
  std::vector<sdk::Tensor> build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) override;

 private:
  // Row p: the sinusoidal embedding of position id p + pad + 1, f32 [context * D].
  std::vector<float> position_table() const;

  sdk::Weights w_;
  Kosmos2Config c_;
  std::string head_;
  int64_t context_ = 0;
  bool all_logits_ = false;
  facet_dtype kv_dtype_ = FACET_DTYPE_F16;
};

}  // namespace facet::plugins
