// PNDMScheduler: pseudo linear multistep (PLMS) with skip_prk_steps (SD 1.x's default), whose
// first step calls the model twice (at t, then at t - T/steps from the average of both outputs);
// without skip_prk_steps, 3 pseudo Runge-Kutta steps (4 calls each, on half steps) come first.
#pragma once

#include "diffusion/alpha_scheduler.hpp"

namespace facet::diffusion {

class PndmScheduler : public AlphaScheduler {
 public:
  PndmScheduler(const SchedulerConfig& config, int steps);

 protected:
  std::vector<float> step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                             NoiseSource* noise, size_t calls_done) override;
  void reset_history() override;

 private:
  std::vector<float> step_prk(std::span<const float> eps, int64_t t, std::span<const float> sample, size_t counter);
  std::vector<float> step_plms(std::span<const float> eps, int64_t t, std::span<const float> sample, size_t counter);
  // The sample at prev_t from the one at t and the (combined) model output (PNDM's formula (9)).
  std::vector<float> prev_sample(std::span<const float> sample, int64_t t, int64_t prev_t, std::span<const float> eps) const;

  size_t prk_calls_ = 0;
  std::vector<std::vector<float>> ets_;  // past model outputs, last 4
  std::vector<float> rk_sum_;            // PRK's weighted sum of this step's outputs
  std::vector<float> cur_sample_;        // the sample a multi-call step started from
};

}  // namespace facet::diffusion
