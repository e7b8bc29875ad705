#include "diffusion/lcm.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "diffusion/spacing.hpp"
#include "util/error.hpp"

namespace facet::diffusion {

LcmScheduler::LcmScheduler(const SchedulerConfig& config, int steps) : AlphaScheduler(config, steps) {
  const int orig = config.original_inference_steps;
  if (steps > orig)
    throw InputError("LCMScheduler: steps " + std::to_string(steps) + " must not exceed original_inference_steps " +
                     std::to_string(orig));
  // The distillation schedule k - 1, 2k - 1, ..., orig * k - 1 (k = T / orig), descending, and
  // `steps` of it at floor(j * orig / steps).
  const int64_t k = config.num_train_timesteps / orig;
  std::vector<int64_t> origin;
  for (int64_t j = orig; j >= 1; --j) origin.push_back(j * k - 1);
  std::vector<int64_t> ts;
  const double stride = static_cast<double>(origin.size()) / steps;  // linspace(0, len, steps, endpoint=False)
  for (int j = 0; j < steps; ++j) ts.push_back(origin[static_cast<size_t>(std::floor(j * stride))]);
  stochastic_ = true;
  set_timesteps(std::move(ts));
}

std::vector<float> LcmScheduler::step_at(std::span<const float> model_output, size_t i, std::span<const float> sample,
                                         NoiseSource* noise, size_t) {
  const int64_t t = int_timesteps_[i];
  const bool last = i + 1 == int_timesteps_.size();
  const int64_t prev_t = last ? t : int_timesteps_[i + 1];
  const float a = alpha_cumprod(t), a_prev = alpha_cumprod(prev_t);
  // Boundary condition with sigma_data 0.5.
  const float scaled = static_cast<float>(t) * static_cast<float>(config_.timestep_scaling);
  const float c_skip = 0.25f / (scaled * scaled + 0.25f);
  const float c_out = scaled / std::sqrt(scaled * scaled + 0.25f);
  const float range = static_cast<float>(config_.clip_sample_range);
  std::vector<float> out(sample.size());
  for (size_t k = 0; k < out.size(); ++k) {
    float x0 = predict(model_output[k], sample[k], a).x0;
    if (config_.clip_sample) x0 = std::clamp(x0, -range, range);
    out[k] = c_out * x0 + c_skip * sample[k];
  }
  if (last) return out;
  const std::vector<float> z = draw(noise, out.size());
  const float sa = std::sqrt(a_prev), sb = std::sqrt(1.0f - a_prev);
  for (size_t k = 0; k < out.size(); ++k) out[k] = sa * out[k] + sb * z[k];
  return out;
}

}  // namespace facet::diffusion
