// DPMSolverMultistepScheduler, algorithm dpmsolver++ (data prediction), order 1 or 2 (DPM++ 2M):
// each step integrates in lambda = log(alpha / sigma) from the current and previous predicted x0
// (midpoint or heun solver_type), falling back to first order on the first step and, per
// lower_order_final / euler_at_final / final_sigmas_type zero, on the last. Sigmas interpolated at
// integer timesteps or Karras sigmas (use_karras_sigmas) with rounded timesteps.
#pragma once

#include "diffusion/scheduler.hpp"

namespace facet::diffusion {

class DpmSolverScheduler : public Scheduler {
 public:
  DpmSolverScheduler(const SchedulerConfig& config, int steps);
  std::vector<float> add_noise(std::span<const float> x0, std::span<const float> noise, size_t i) const override;

 protected:
  std::vector<float> step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                             NoiseSource* noise, size_t calls_done) override;
  void reset_history() override { previous_x0_.clear(); }

 private:
  std::vector<float> previous_x0_;  // the last step's predicted x0 (order 2)
};

}  // namespace facet::diffusion
