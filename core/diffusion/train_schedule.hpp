// The training noise schedule of a scheduler config: betas, alphas_cumprod and the k-diffusion
// sigmas sqrt((1 - acp) / acp), in float32 as diffusers computes them with torch (linspace in f32,
// cumulative product accumulated in double and stored in f32).
#pragma once

#include <vector>

#include "diffusion/scheduler_config.hpp"

namespace facet::diffusion {

struct TrainSchedule {
  std::vector<float> betas;           // [num_train_timesteps]
  std::vector<float> alphas_cumprod;  // [num_train_timesteps]
  std::vector<float> sigmas;          // [num_train_timesteps], ascending with the timestep
};

TrainSchedule make_train_schedule(const SchedulerConfig& config);

}  // namespace facet::diffusion
