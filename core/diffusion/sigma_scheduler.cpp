#include "diffusion/sigma_scheduler.hpp"

#include <algorithm>
#include <cmath>

#include "diffusion/spacing.hpp"

namespace facet::diffusion {

SigmaScheduler::SigmaScheduler(const SchedulerConfig& config, int steps) : Scheduler(config, steps) {}

void SigmaScheduler::set_schedule(std::vector<float> timesteps, const std::vector<double>& sigmas, float final_sigma) {
  timesteps_ = std::move(timesteps);
  sigmas_.clear();
  for (double s : sigmas) sigmas_.push_back(static_cast<float>(s));
  sigmas_.push_back(final_sigma);
  const float top = *std::max_element(sigmas_.begin(), sigmas_.end());
  init_noise_sigma_ = config_.timestep_spacing == TimestepSpacing::Leading ? std::sqrt(top * top + 1.0f) : top;
}

std::vector<double> SigmaScheduler::interpolated_sigmas(const std::vector<float>& timesteps) const {
  std::vector<double> out;
  for (float t : timesteps) out.push_back(interp_index(t, train_.sigmas));
  return out;
}

std::vector<float> SigmaScheduler::scale_model_input(std::span<const float> sample, size_t i) const {
  const float s = sigmas_.at(i);
  const float d = std::sqrt(s * s + 1.0f);
  std::vector<float> out(sample.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = sample[k] / d;
  return out;
}

std::vector<float> SigmaScheduler::add_noise(std::span<const float> x0, std::span<const float> noise, size_t i) const {
  check_add_noise(x0.size(), noise.size(), i);
  const float s = sigmas_[i];
  std::vector<float> out(x0.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = x0[k] + noise[k] * s;
  return out;
}

float SigmaScheduler::predict_x0(float out, float sample, float sigma) const {
  switch (config_.prediction_type) {
    case Prediction::Epsilon: return sample - sigma * out;
    case Prediction::VPrediction: {
      const float s2 = sigma * sigma + 1.0f;
      return out * (-sigma / std::sqrt(s2)) + sample / s2;
    }
    case Prediction::Sample: return out;
  }
  return out;
}

}  // namespace facet::diffusion
