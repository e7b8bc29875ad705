#include "diffusion/pndm.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "diffusion/spacing.hpp"
#include "util/error.hpp"

namespace facet::diffusion {

PndmScheduler::PndmScheduler(const SchedulerConfig& config, int steps) : AlphaScheduler(config, steps) {
  std::vector<double> desc = spaced_timesteps(config, steps);
  std::vector<int64_t> ts(desc.rbegin(), desc.rend());  // ascending
  const int n = steps;
  std::vector<int64_t> calls;
  if (config.skip_prk_steps) {
    // ts[:-1], ts[-2], ts[-1] reversed: the last-but-one (first in time) timestep twice.
    std::vector<int64_t> up(ts.begin(), ts.end() - 1);
    if (n >= 2) up.push_back(ts[n - 2]);
    up.push_back(ts[n - 1]);
    calls.assign(up.rbegin(), up.rend());
  } else {
    if (n < 4)
      throw InputError("PNDMScheduler: skip_prk_steps false needs at least 4 steps, not " + std::to_string(n));
    // The last 4 timesteps and their half steps, each but the last twice, without the ends.
    const int64_t half = config.num_train_timesteps / n / 2;
    std::vector<int64_t> prk;
    for (int k = n - 4; k < n; ++k) prk.push_back(ts[k]), prk.push_back(ts[k] + half);
    prk.pop_back();
    std::vector<int64_t> twice;
    for (int64_t t : prk) twice.push_back(t), twice.push_back(t);
    calls.assign(twice.rbegin() + 1, twice.rend() - 1);
    prk_calls_ = calls.size();
    for (int k = n - 4; k >= 0; --k) calls.push_back(ts[k]);
  }
  set_timesteps(std::move(calls));
}

void PndmScheduler::reset_history() {
  ets_.clear();
  rk_sum_.clear();
  cur_sample_.clear();
}

std::vector<float> PndmScheduler::step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                                          NoiseSource*, size_t calls_done) {
  if (calls_done < prk_calls_) return step_prk(model_output, int_timesteps_[i], sample, calls_done);
  return step_plms(model_output, int_timesteps_[i], sample, calls_done);
}

std::vector<float> PndmScheduler::step_prk(std::span<const float> eps, int64_t t, std::span<const float> sample,
                                           size_t counter) {
  const int64_t diff = counter % 2 ? 0 : config_.num_train_timesteps / steps_ / 2;
  const int64_t prev_t = t - diff;
  const int64_t step_t = int_timesteps_[counter / 4 * 4];
  if (rk_sum_.empty()) rk_sum_.assign(eps.size(), 0.0f);
  std::vector<float> e(eps.begin(), eps.end());
  const float sixth = static_cast<float>(1.0 / 6), third = static_cast<float>(1.0 / 3);
  switch (counter % 4) {
    case 0:
      for (size_t k = 0; k < e.size(); ++k) rk_sum_[k] += sixth * eps[k];
      ets_.push_back(e);
      cur_sample_.assign(sample.begin(), sample.end());
      break;
    case 1:
    case 2:
      for (size_t k = 0; k < e.size(); ++k) rk_sum_[k] += third * eps[k];
      break;
    default:
      for (size_t k = 0; k < e.size(); ++k) e[k] = rk_sum_[k] + sixth * eps[k];
      rk_sum_.assign(eps.size(), 0.0f);
  }
  std::span<const float> from = cur_sample_.empty() ? sample : std::span<const float>(cur_sample_);
  return prev_sample(from, step_t, prev_t, e);
}

std::vector<float> PndmScheduler::step_plms(std::span<const float> eps, int64_t t, std::span<const float> sample,
                                            size_t counter) {
  const int64_t ratio = config_.num_train_timesteps / steps_;
  int64_t prev_t = t - ratio;
  if (counter != 1) {
    if (ets_.size() > 3) ets_.erase(ets_.begin(), ets_.end() - 3);
    ets_.emplace_back(eps.begin(), eps.end());
  } else {
    prev_t = t;
    t += ratio;
  }
  const size_t n = eps.size(), m = ets_.size();
  std::vector<float> e(eps.begin(), eps.end());
  std::vector<float> from(sample.begin(), sample.end());
  auto past = [&](size_t back, size_t k) { return ets_[m - back][k]; };
  if (m == 1 && counter == 0) {
    cur_sample_ = from;
  } else if (m == 1 && counter == 1) {
    for (size_t k = 0; k < n; ++k) e[k] = (eps[k] + past(1, k)) / 2.0f;
    from = cur_sample_;
    cur_sample_.clear();
  } else if (m == 2) {
    for (size_t k = 0; k < n; ++k) e[k] = (3.0f * past(1, k) - past(2, k)) / 2.0f;
  } else if (m == 3) {
    for (size_t k = 0; k < n; ++k) e[k] = (23.0f * past(1, k) - 16.0f * past(2, k) + 5.0f * past(3, k)) / 12.0f;
  } else {
    const float w = static_cast<float>(1.0 / 24);
    for (size_t k = 0; k < n; ++k)
      e[k] = w * (55.0f * past(1, k) - 59.0f * past(2, k) + 37.0f * past(3, k) - 9.0f * past(4, k));
  }
  return prev_sample(from, t, prev_t, e);
}

std::vector<float> PndmScheduler::prev_sample(std::span<const float> sample, int64_t t, int64_t prev_t,
                                              std::span<const float> eps) const {
  const float a = alpha_cumprod(t), a_prev = alpha_cumprod(prev_t);
  const float b = 1.0f - a, b_prev = 1.0f - a_prev;
  const float sa = std::sqrt(a), sb = std::sqrt(b);
  const float coeff = std::sqrt(a_prev / a);
  const float denom = a * std::sqrt(b_prev) + std::sqrt(a * b * a_prev);
  const float gap = a_prev - a;
  std::vector<float> out(sample.size());
  for (size_t k = 0; k < out.size(); ++k) {
    float e = eps[k];
    if (config_.prediction_type == Prediction::VPrediction) e = sa * eps[k] + sb * sample[k];
    out[k] = coeff * sample[k] - gap * e / denom;
  }
  return out;
}

}  // namespace facet::diffusion
