#include "diffusion/euler_ancestral.hpp"

#include <cmath>

#include "diffusion/spacing.hpp"

namespace facet::diffusion {

EulerAncestralScheduler::EulerAncestralScheduler(const SchedulerConfig& config, int steps)
    : SigmaScheduler(config, steps) {
  std::vector<float> ts;
  for (double t : spaced_timesteps(config, steps, /*keep_fraction=*/true)) ts.push_back(static_cast<float>(t));
  std::vector<double> sig = interpolated_sigmas(ts);
  set_schedule(std::move(ts), sig, 0.0f);
  stochastic_ = true;
}

std::vector<float> EulerAncestralScheduler::step_at(std::span<const float> model_output, size_t i,
                                                    std::span<const float> sample, NoiseSource* noise, size_t) {
  const float from = sigmas_[i], to = sigmas_[i + 1];
  const float up = std::sqrt(to * to * (from * from - to * to) / (from * from));
  const float down = std::sqrt(to * to - up * up);
  const float dt = down - from;
  const std::vector<float> z = draw(noise, sample.size());
  std::vector<float> out(sample.size());
  for (size_t k = 0; k < out.size(); ++k) {
    const float x0 = predict_x0(model_output[k], sample[k], from);
    out[k] = sample[k] + (sample[k] - x0) / from * dt + z[k] * up;
  }
  return out;
}

}  // namespace facet::diffusion
