// Common ground of the alpha-parameterised schedulers (DDIM, PNDM, LCM): integer timesteps,
// alphas_cumprod lookups with the final alpha below timestep 0, the model output turned into a
// predicted x0 and noise, and add_noise = sqrt(acp) x0 + sqrt(1 - acp) noise.
#pragma once

#include <cstdint>

#include "diffusion/scheduler.hpp"

namespace facet::diffusion {

class AlphaScheduler : public Scheduler {
 public:
  std::vector<float> add_noise(std::span<const float> x0, std::span<const float> noise, size_t i) const override;
  const std::vector<int64_t>& int_timesteps() const { return int_timesteps_; }

 protected:
  AlphaScheduler(const SchedulerConfig& config, int steps);
  void set_timesteps(std::vector<int64_t> timesteps);
  // alphas_cumprod[t]; below 0, 1 (set_alpha_to_one) or alphas_cumprod[0].
  float alpha_cumprod(int64_t t) const;

  // The predicted x0 and noise of one element from the model output `out` at a timestep whose
  // alphas_cumprod is a (per prediction_type; f32 as torch).
  struct Predicted {
    float x0, eps;
  };
  Predicted predict(float out, float sample, float a) const;

  std::vector<int64_t> int_timesteps_;
};

}  // namespace facet::diffusion
