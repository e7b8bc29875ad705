#include "diffusion/dpm_solver.hpp"

#include <cmath>

#include "diffusion/karras.hpp"
#include "diffusion/spacing.hpp"

namespace facet::diffusion {
namespace {

// The VP pair of a VE sigma: alpha = 1 / sqrt(sigma^2 + 1), sigma_t = sigma * alpha.
struct AlphaSigma {
  float alpha, sigma;
};
AlphaSigma alpha_sigma(float sigma) {
  const float a = 1.0f / std::sqrt(sigma * sigma + 1.0f);
  return {a, sigma * a};
}
float lambda_of(AlphaSigma v) { return std::log(v.alpha) - std::log(v.sigma); }

}  // namespace

DpmSolverScheduler::DpmSolverScheduler(const SchedulerConfig& config, int steps) : Scheduler(config, steps) {
  const int T = config.num_train_timesteps;
  // Timesteps whose lambda lies below lambda_min_clipped are cut from the top.
  int clipped = 0;
  for (float acp : train_.alphas_cumprod)
    if (std::log(std::sqrt(acp)) - std::log(std::sqrt(1.0f - acp)) < config.lambda_min_clipped) ++clipped;
  const int last_t = T - clipped;
  std::vector<double> ts;
  switch (config.timestep_spacing) {
    case TimestepSpacing::Linspace:
      for (double t : np_linspace(0.0, last_t - 1.0, steps + 1)) ts.insert(ts.begin(), round_half_even(t));
      ts.pop_back();
      break;
    case TimestepSpacing::Leading: {
      const int ratio = last_t / (steps + 1);
      for (int i = steps; i >= 1; --i) ts.push_back(static_cast<double>(i) * ratio + config.steps_offset);
      break;
    }
    case TimestepSpacing::Trailing:
      for (double t : np_arange(last_t, 0.0, -static_cast<double>(T) / steps)) ts.push_back(round_half_even(t) - 1.0);
      break;
  }
  std::vector<double> sig;
  if (config.use_karras_sigmas) {
    sig = karras_sigmas(train_.sigmas.front(), train_.sigmas.back(), steps);
    ts.clear();
    for (double s : sig) ts.push_back(round_half_even(sigma_to_timestep(s, train_.sigmas)));
  } else {
    for (double t : ts) sig.push_back(interp_index(t, train_.sigmas));
  }
  for (double s : sig) sigmas_.push_back(static_cast<float>(s));
  sigmas_.push_back(config.final_sigma_zero ? 0.0f : train_.sigmas[0]);
  timesteps_.assign(ts.begin(), ts.end());
}

std::vector<float> DpmSolverScheduler::step_at(std::span<const float> model_output, size_t i,
                                               std::span<const float> sample, NoiseSource*, size_t calls_done) {
  const size_t n = timesteps_.size();
  const bool last = i + 1 == n;
  const bool first_order_final =
      last && (config_.euler_at_final || (config_.lower_order_final && n < 15) || config_.final_sigma_zero);
  const AlphaSigma s0 = alpha_sigma(sigmas_[i]), t = alpha_sigma(sigmas_[i + 1]);
  std::vector<float> x0(sample.size());
  for (size_t k = 0; k < x0.size(); ++k) {
    const float m = model_output[k], x = sample[k];
    switch (config_.prediction_type) {
      case Prediction::Epsilon: x0[k] = (x - s0.sigma * m) / s0.alpha; break;
      case Prediction::VPrediction: x0[k] = s0.alpha * x - s0.sigma * m; break;
      case Prediction::Sample: x0[k] = m; break;
    }
  }
  const float h = lambda_of(t) - lambda_of(s0);
  const float ratio = t.sigma / s0.sigma;
  const float first = t.alpha * (std::exp(-h) - 1.0f);
  std::vector<float> out(sample.size());
  if (config_.solver_order == 1 || calls_done < 1 || first_order_final || previous_x0_.empty()) {
    for (size_t k = 0; k < out.size(); ++k) out[k] = ratio * sample[k] - first * x0[k];
  } else {
    const float r0 = (lambda_of(s0) - lambda_of(alpha_sigma(sigmas_[i - 1]))) / h;
    const float heun = t.alpha * ((std::exp(-h) - 1.0f) / h + 1.0f);
    for (size_t k = 0; k < out.size(); ++k) {
      const float d1 = (1.0f / r0) * (x0[k] - previous_x0_[k]);
      out[k] = config_.solver_midpoint ? ratio * sample[k] - first * x0[k] - 0.5f * first * d1
                                       : ratio * sample[k] - first * x0[k] + heun * d1;
    }
  }
  previous_x0_ = std::move(x0);
  return out;
}

std::vector<float> DpmSolverScheduler::add_noise(std::span<const float> x0, std::span<const float> noise,
                                                 size_t i) const {
  check_add_noise(x0.size(), noise.size(), i);
  const AlphaSigma v = alpha_sigma(sigmas_[i]);
  std::vector<float> out(x0.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = v.alpha * x0[k] + v.sigma * noise[k];
  return out;
}

}  // namespace facet::diffusion
