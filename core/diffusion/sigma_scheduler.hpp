// Common ground of the k-diffusion style schedulers (Euler, Euler ancestral): the sample lives at
// noise level sigma (x = x0 + sigma n), the model sees x / sqrt(sigma^2 + 1), init_noise_sigma is
// the largest sigma (sqrt(sigma^2 + 1) with leading spacing), add_noise = x0 + sigma n.
#pragma once

#include "diffusion/scheduler.hpp"

namespace facet::diffusion {

class SigmaScheduler : public Scheduler {
 public:
  std::vector<float> scale_model_input(std::span<const float> sample, size_t i) const override;
  std::vector<float> add_noise(std::span<const float> x0, std::span<const float> noise, size_t i) const override;

 protected:
  SigmaScheduler(const SchedulerConfig& config, int steps);
  // timesteps (f32) and sigmas (then 0 or sigma_min appended) set; init_noise_sigma from them.
  void set_schedule(std::vector<float> timesteps, const std::vector<double>& sigmas, float final_sigma);
  // The predicted x0 of one element at noise level sigma (per prediction_type).
  float predict_x0(float out, float sample, float sigma) const;
  // The sigmas of the training schedule at the (fractional) timesteps.
  std::vector<double> interpolated_sigmas(const std::vector<float>& timesteps) const;
};

}  // namespace facet::diffusion
