#include "diffusion/ddim.hpp"

#include <algorithm>
#include <cmath>

#include "diffusion/spacing.hpp"

namespace facet::diffusion {

DdimScheduler::DdimScheduler(const SchedulerConfig& config, int steps) : AlphaScheduler(config, steps) {
  std::vector<int64_t> ts;
  for (double t : spaced_timesteps(config, steps)) ts.push_back(static_cast<int64_t>(t));
  set_timesteps(std::move(ts));
}

std::vector<float> DdimScheduler::step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                                          NoiseSource*, size_t) {
  const int64_t t = int_timesteps_[i];
  const float a = alpha_cumprod(t);
  const float a_prev = alpha_cumprod(t - config_.num_train_timesteps / steps_);
  const float sa_prev = std::sqrt(a_prev), sb_prev = std::sqrt(1.0f - a_prev);
  const float range = static_cast<float>(config_.clip_sample_range);
  std::vector<float> out(sample.size());
  for (size_t k = 0; k < out.size(); ++k) {
    Predicted p = predict(model_output[k], sample[k], a);
    if (config_.clip_sample) p.x0 = std::clamp(p.x0, -range, range);
    out[k] = sa_prev * p.x0 + sb_prev * p.eps;
  }
  return out;
}

}  // namespace facet::diffusion
