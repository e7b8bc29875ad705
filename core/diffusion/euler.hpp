// EulerDiscreteScheduler (s_churn 0): x_next = x + (x - x0) / sigma * (sigma_next - sigma), with
// sigmas interpolated from the training schedule at the timesteps, or Karras sigmas
// (use_karras_sigmas) whose timesteps are mapped back from them.
#pragma once

#include "diffusion/sigma_scheduler.hpp"

namespace facet::diffusion {

class EulerScheduler : public SigmaScheduler {
 public:
  EulerScheduler(const SchedulerConfig& config, int steps);

 protected:
  std::vector<float> step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                             NoiseSource* noise, size_t calls_done) override;
};

}  // namespace facet::diffusion
