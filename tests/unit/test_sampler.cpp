// Sampling: greedy, seeded draws, top-k, top-p, min-p (the exact sets they keep), repetition penalty.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

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

namespace facet::test {
namespace {

// The exact set of tokens top-p and min-p keep: probabilities 0.4, 0.3, 0.2, 0.1; 3000 draws see
// every kept token (the rarest kept one has p >= 0.2 among the kept), so a filter that keeps one
// token fewer or one more fails.
std::set<int32_t> drawn(const llm::SamplerOptions& o) {
  llm::Sampler s(o);
  const std::vector<float> logits = {std::log(0.4f), std::log(0.3f), std::log(0.2f), std::log(0.1f)};
  std::set<int32_t> seen;
  for (int i = 0; i < 3000; ++i) seen.insert(s.sample(logits, {}));
  return seen;
}

TEST(Sampler, TopPAndMinPKeepExactlyTheirTokens) {
  llm::SamplerOptions o;
  o.temperature = 1.0f;
  EXPECT_EQ(drawn(o), (std::set<int32_t>{0, 1, 2, 3}));
  o.top_p = 0.65f;  // 0.4 < 0.65 <= 0.7
  EXPECT_EQ(drawn(o), (std::set<int32_t>{0, 1}));
  o.top_p = 0.75f;  // 0.7 < 0.75 <= 0.9
  EXPECT_EQ(drawn(o), (std::set<int32_t>{0, 1, 2}));
  o.top_p = 0.3f;  // the first token alone reaches it
  EXPECT_EQ(drawn(o), (std::set<int32_t>{0}));
  o.top_p = 1.0f;
  o.min_p = 0.6f;  // keep p >= 0.24
  EXPECT_EQ(drawn(o), (std::set<int32_t>{0, 1}));
  o.min_p = 0.45f;  // keep p >= 0.18
  EXPECT_EQ(drawn(o), (std::set<int32_t>{0, 1, 2}));
  o.min_p = 0.0f;
  o.top_k = 3;
  EXPECT_EQ(drawn(o), (std::set<int32_t>{0, 1, 2}));
}

}  // namespace
}  // namespace facet::test
