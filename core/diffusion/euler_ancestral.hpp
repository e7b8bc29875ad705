// EulerAncestralDiscreteScheduler: an Euler step down to sigma_down, then fresh noise of sigma_up,
// where sigma_up^2 + sigma_down^2 = sigma_next^2 (one draw per step, the last one's scaled by 0).
#pragma once

#include "diffusion/sigma_scheduler.hpp"

namespace facet::diffusion {

class EulerAncestralScheduler : public SigmaScheduler {
 public:
  EulerAncestralScheduler(const SchedulerConfig& config, int steps);

 protected:
  std::vector<float> step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                             NoiseSource* noise, size_t calls_done) override;
};

}  // namespace facet::diffusion
