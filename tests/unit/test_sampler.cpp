// Sampling: greedy, seeded draws, top-k, min-p, repetition penalty.
#include <gtest/gtest.h>

#include "llm/sampler.hpp"

namespace facet {
namespace {

TEST(Sampler, GreedySeededAndFiltered) {
  std::vector<float> logits = {0.1f, 2.0f, 1.9f, -1.0f, 0.5f};
  llm::Sampler greedy({});
  EXPECT_EQ(greedy.sample(logits, {}), 1);
  llm::SamplerOptions o;
  o.temperature = 1.0f;
  o.seed = 42;
  llm::Sampler a(o), b(o);
  std::vector<int32_t> sa, sb;
  for (int i = 0; i < 50; ++i) sa.push_back(a.sample(logits, {})), sb.push_back(b.sample(logits, {}));
  EXPECT_EQ(sa, sb);  // same seed, same draws
  o.top_k = 2;
  llm::Sampler k(o);
  for (int i = 0; i < 100; ++i) {
    int32_t t = k.sample(logits, {});
    EXPECT_TRUE(t == 1 || t == 2) << t;
  }
  o.top_k = 0;
  o.min_p = 0.5f;  // keeps p >= 0.5 p_max: tokens 1 and 2
  llm::Sampler m(o);
  for (int i = 0; i < 100; ++i) EXPECT_LE(m.sample(logits, {}), 2);
  llm::SamplerOptions r;
  r.repeat_penalty = 2.0f;  // token 1 (2.0 -> 1.0) falls below token 2 (1.9)
  EXPECT_EQ(llm::Sampler(r).sample(logits, {1}), 2);
}

}  // namespace
}  // namespace facet
