#include "llm/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace facet::llm {

int32_t argmax(const std::vector<float>& logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best] || (std::isnan(logits[best]) && !std::isnan(logits[i]))) best = static_cast<int32_t>(i);
  return best;
}

int32_t Sampler::sample(std::vector<float> logits, const std::vector<int32_t>& context) {
  if (o_.repeat_penalty != 1.0f) {
    // As Hugging Face's RepetitionPenaltyLogitsProcessor: divide positive logits, multiply negative ones.
    for (int32_t id : std::set<int32_t>(context.begin(), context.end()))
      if (id >= 0 && static_cast<size_t>(id) < logits.size())
        logits[id] = logits[id] > 0 ? logits[id] / o_.repeat_penalty : logits[id] * o_.repeat_penalty;
  }
  if (o_.temperature <= 0.0f) return argmax(logits);
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  size_t keep = order.size();
  if (o_.top_k > 0) keep = std::min(keep, static_cast<size_t>(o_.top_k));
  std::vector<double> p(keep);
  const double top = logits[order[0]] / o_.temperature;
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += p[i] = std::exp(logits[order[i]] / o_.temperature - top);
  for (double& x : p) x /= sum;
  if (o_.min_p > 0.0f) {
    size_t n = 1;
    while (n < keep && p[n] >= o_.min_p * p[0]) ++n;
    keep = n;
  }
  if (o_.top_p < 1.0f) {
    double acc = 0;
    size_t n = 0;
    while (n < keep) {
      acc += p[n++];
      if (acc >= o_.top_p) break;
    }
    keep = std::max<size_t>(n, 1);
  }
  double total = 0;
  for (size_t i = 0; i < keep; ++i) total += p[i];
  double r = std::uniform_real_distribution<double>(0.0, total)(rng_);
  for (size_t i = 0; i < keep; ++i) {
    r -= p[i];
    if (r <= 0) return order[i];
  }
  return order[keep - 1];
}

}  // namespace facet::llm
