// Next-token choice from logits: greedy (temperature 0), or repetition penalty, temperature,
// top-k, top-p, min-p, then a draw from a seeded generator (the same seed gives the same text).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace facet::llm {

struct SamplerOptions {
  float temperature = 0.0f;     // <= 0: greedy (argmax, first index on ties)
  int top_k = 0;                // 0: off
  float top_p = 1.0f;           // 1: off
  float min_p = 0.0f;           // 0: off (keep tokens with p >= min_p * p_max)
  float repeat_penalty = 1.0f;  // 1: off; > 1 discourages tokens already in the context
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(SamplerOptions options) : o_(options), rng_(options.seed) {}
  // `context` are the ids so far (prompt and generated), for the repetition penalty.
  int32_t sample(std::vector<float> logits, const std::vector<int32_t>& context);
  const SamplerOptions& options() const { return o_; }

 private:
  SamplerOptions o_;
  std::mt19937_64 rng_;
};

int32_t argmax(const std::vector<float>& logits);

}  // namespace facet::llm
