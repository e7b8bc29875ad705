// LCMScheduler: timesteps picked from the distillation's skipping-step schedule
// (original_inference_steps), each step's x0 mixed with the sample by the consistency boundary
// condition (c_skip, c_out of t * timestep_scaling), then noised to the next timestep with a fresh
// draw on every step but the last.
#pragma once

#include "diffusion/alpha_scheduler.hpp"

namespace facet::diffusion {

class LcmScheduler : public AlphaScheduler {
 public:
  LcmScheduler(const SchedulerConfig& config, int steps);

 protected:
  std::vector<float> step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                             NoiseSource* noise, size_t calls_done) override;
};

}  // namespace facet::diffusion
