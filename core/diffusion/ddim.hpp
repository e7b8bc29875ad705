// DDIMScheduler, deterministic (eta 0): x_prev = sqrt(acp_prev) x0 + sqrt(1 - acp_prev) eps, the
// previous timestep being t - T / steps; x0 optionally clipped (clip_sample).
#pragma once

#include "diffusion/alpha_scheduler.hpp"

namespace facet::diffusion {

class DdimScheduler : public AlphaScheduler {
 public:
  DdimScheduler(const SchedulerConfig& config, int steps);

 protected:
  std::vector<float> step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                             NoiseSource* noise, size_t calls_done) override;
};

}  // namespace facet::diffusion
