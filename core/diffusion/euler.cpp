#include "diffusion/euler.hpp"

#include "diffusion/karras.hpp"
#include "diffusion/spacing.hpp"

namespace facet::diffusion {

EulerScheduler::EulerScheduler(const SchedulerConfig& config, int steps) : SigmaScheduler(config, steps) {
  std::vector<float> ts;
  for (double t : spaced_timesteps(config, steps, /*keep_fraction=*/true)) ts.push_back(static_cast<float>(t));
  std::vector<double> sig = interpolated_sigmas(ts);
  if (config.use_karras_sigmas) {
    sig = karras_sigmas(config.sigma_min.value_or(sig.back()), config.sigma_max.value_or(sig.front()), steps);
    ts.clear();
    for (double s : sig) ts.push_back(static_cast<float>(sigma_to_timestep(s, train_.sigmas)));
  }
  set_schedule(std::move(ts), sig, config.final_sigma_zero ? 0.0f : train_.sigmas[0]);
}

std::vector<float> EulerScheduler::step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                                           NoiseSource*, size_t) {
  const float sigma = sigmas_[i];
  const float dt = sigmas_[i + 1] - sigma;
  std::vector<float> out(sample.size());
  for (size_t k = 0; k < out.size(); ++k) {
    const float x0 = predict_x0(model_output[k], sample[k], sigma);
    out[k] = sample[k] + (sample[k] - x0) / sigma * dt;
  }
  return out;
}

}  // namespace facet::diffusion
