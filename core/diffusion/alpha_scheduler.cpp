#include "diffusion/alpha_scheduler.hpp"

#include <cmath>


namespace facet::diffusion {

AlphaScheduler::AlphaScheduler(const SchedulerConfig& config, int steps) : Scheduler(config, steps) {}

void AlphaScheduler::set_timesteps(std::vector<int64_t> timesteps) {
  int_timesteps_ = std::move(timesteps);
  timesteps_.assign(int_timesteps_.begin(), int_timesteps_.end());
}

float AlphaScheduler::alpha_cumprod(int64_t t) const {
  if (t >= 0) return train_.alphas_cumprod.at(static_cast<size_t>(t));
  return config_.set_alpha_to_one ? 1.0f : train_.alphas_cumprod[0];
}

AlphaScheduler::Predicted AlphaScheduler::predict(float out, float sample, float a) const {
  const float sa = std::sqrt(a), sb = std::sqrt(1.0f - a);
  switch (config_.prediction_type) {
    case Prediction::Epsilon: return {(sample - sb * out) / sa, out};
    case Prediction::VPrediction: return {sa * sample - sb * out, sa * out + sb * sample};
    case Prediction::Sample: return {out, (sample - sa * out) / sb};
  }
  return {out, out};
}

std::vector<float> AlphaScheduler::add_noise(std::span<const float> x0, std::span<const float> noise,
                                             size_t i) const {
  check_add_noise(x0.size(), noise.size(), i);
  const float a = alpha_cumprod(int_timesteps_[i]);
  const float sa = std::sqrt(a), sb = std::sqrt(1.0f - a);
  std::vector<float> out(x0.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = sa * x0[k] + sb * noise[k];
  return out;
}

}  // namespace facet::diffusion
