#include "diffusion/train_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace facet::diffusion {
namespace {

// torch.linspace(start, end, n, dtype=float32) on the CPU: f32 step; the first half counts up from
// start, the second half down from end.
std::vector<float> linspace_f32(double start_d, double end_d, int n) {
  float start = static_cast<float>(start_d), end = static_cast<float>(end_d);
  float step = (end - start) / static_cast<float>(n - 1);
  std::vector<float> out(n);
  for (int i = 0; i < n; ++i)
    out[i] = i < n / 2 ? start + step * static_cast<float>(i) : end - step * static_cast<float>(n - 1 - i);
  return out;
}

// Glide's cosine schedule: beta_i = min(1 - abar((i + 1) / n) / abar(i / n), 0.999) in double.
std::vector<float> cosine_betas(int n) {
  auto abar = [](double t) {
    double c = std::cos((t + 0.008) / 1.008 * std::numbers::pi / 2);
    return c * c;
  };
  std::vector<float> out(n);
  for (int i = 0; i < n; ++i)
    out[i] = static_cast<float>(std::min(1.0 - abar((i + 1.0) / n) / abar(static_cast<double>(i) / n), 0.999));
  return out;
}

}  // namespace

TrainSchedule make_train_schedule(const SchedulerConfig& c) {
  TrainSchedule s;
  const int n = c.num_train_timesteps;
  if (!c.trained_betas.empty()) {
    s.betas.assign(c.trained_betas.begin(), c.trained_betas.end());
  } else if (c.beta_schedule == BetaSchedule::Linear) {
    s.betas = linspace_f32(c.beta_start, c.beta_end, n);
  } else if (c.beta_schedule == BetaSchedule::ScaledLinear) {
    s.betas = linspace_f32(std::sqrt(c.beta_start), std::sqrt(c.beta_end), n);
    for (float& b : s.betas) b = b * b;
  } else {
    s.betas = cosine_betas(n);
  }
  s.alphas_cumprod.resize(n);
  s.sigmas.resize(n);
  double product = 1.0;
  for (int i = 0; i < n; ++i) {
    product *= static_cast<double>(1.0f - s.betas[i]);
    float acp = static_cast<float>(product);
    s.alphas_cumprod[i] = acp;
    s.sigmas[i] = std::sqrt((1.0f - acp) / acp);
  }
  return s;
}

}  // namespace facet::diffusion
