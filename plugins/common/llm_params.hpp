// The params every LLM component shares (llm_llama, grounding_kosmos2's text decoder), as
// LlmSession sets them: `context` (KV cache positions; 0: the model's max_position_embeddings, at
// most 4096), `logits` (last | all), `kv_cache` (f16 | f32).
#pragma once

#include <facet/plugin.hpp>

#include <algorithm>
#include <string>

namespace facet::plugins {

struct LlmParams {
  int64_t context = 0;
  bool all_logits = false;
  facet_dtype kv_dtype = FACET_DTYPE_F16;

  // Throws naming the param when a value is not one of its choices.
  static LlmParams read(const sdk::StageConfig& cfg, int64_t max_positions) {
    LlmParams p;
    const std::string kv = cfg.get_string("kv_cache");
    if (kv != "f16" && kv != "f32") throw sdk::Error("param kv_cache must be 'f16' or 'f32', got '" + kv + "'");
    p.kv_dtype = kv == "f16" ? FACET_DTYPE_F16 : FACET_DTYPE_F32;
    const int64_t context = cfg.get_int("context");
    p.context = context > 0 ? context : std::min<int64_t>(max_positions, 4096);
    const std::string logits = cfg.get_string("logits");
    if (logits != "last" && logits != "all") throw sdk::Error("param logits must be 'last' or 'all'");
    p.all_logits = logits == "all";
    return p;
  }
};

}  // namespace facet::plugins
