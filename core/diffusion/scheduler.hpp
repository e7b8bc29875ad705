// The sampler loop's arithmetic, shared by every generator: one Scheduler per run, built for a
// number of inference steps from a SchedulerConfig. The loop is the same for every class:
//
//   x = noise * init_noise_sigma()                          (img2img: add_noise(image, noise, first))
//   s.begin(first)                                          (0, or img2img_first_call(...))
//   for i in [first, timesteps().size()):
//     out = model(scale_model_input(x, i), timesteps()[i])  (guidance_mix of both passes for CFG)
//     x = step(out, i, x, &noise_source)
//
// timesteps() lists one entry per model call: PNDM's PLMS calls the model twice at its first
// step (5 calls for 4 steps) and its PRK warm-up 4 times per step; the others once per step.
// Samples are f32 arrays of any shape (model_output and sample the same size); the arithmetic
// is float32 as diffusers does it with torch.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "diffusion/noise.hpp"
#include "diffusion/scheduler_config.hpp"
#include "diffusion/train_schedule.hpp"

namespace facet::diffusion {

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  const SchedulerConfig& config() const { return config_; }
  const TrainSchedule& train() const { return train_; }
  int steps() const { return steps_; }
  const std::vector<float>& timesteps() const { return timesteps_; }  // per model call, as the UNet gets them
  const std::vector<float>& sigmas() const { return sigmas_; }        // Euler family, DPM: calls + 1; else empty
  float init_noise_sigma() const { return init_noise_sigma_; }
  bool stochastic() const { return stochastic_; }                     // step() draws from its NoiseSource

  // Starts the loop at model call `first` and forgets the multistep history.
  void begin(size_t first = 0);
  virtual std::vector<float> scale_model_input(std::span<const float> sample, size_t i) const;
  // The sample after model call i; calls come in order from begin()'s index. `noise` may be null
  // unless stochastic().
  std::vector<float> step(std::span<const float> model_output, size_t i, std::span<const float> sample,
                          NoiseSource* noise);
  // x0 noised to the level of model call i (img2img's start, i = the first call).
  virtual std::vector<float> add_noise(std::span<const float> x0, std::span<const float> noise, size_t i) const = 0;

 protected:
  Scheduler(const SchedulerConfig& config, int steps);
  // calls_done: model calls stepped since begin().
  virtual std::vector<float> step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                                     NoiseSource* noise, size_t calls_done) = 0;
  virtual void reset_history() {}
  std::vector<float> draw(NoiseSource* noise, size_t n) const;
  void check_add_noise(size_t samples, size_t noises, size_t i) const;  // InputError on a mismatch

  SchedulerConfig config_;
  TrainSchedule train_;
  int steps_;
  std::vector<float> timesteps_;
  std::vector<float> sigmas_;
  float init_noise_sigma_ = 1.0f;
  bool stochastic_ = false;

 private:
  size_t first_ = 0;
  size_t next_ = 0;
};

// The scheduler of config.kind for `steps` inference steps. InputError naming the value when
// steps is below 1 or above what the class allows (num_train_timesteps; LCM's
// original_inference_steps; 4 for PNDM with PRK steps).
std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config, int steps);

}  // namespace facet::diffusion
