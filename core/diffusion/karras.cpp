#include "diffusion/karras.hpp"

#include <algorithm>
#include <cmath>

#include "diffusion/spacing.hpp"

namespace facet::diffusion {

std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int steps) {
  const double rho = 7.0;
  const double lo = std::pow(sigma_min, 1.0 / rho), hi = std::pow(sigma_max, 1.0 / rho);
  std::vector<double> out;
  for (double r : np_linspace(0.0, 1.0, steps)) out.push_back(std::pow(hi + r * (lo - hi), rho));
  return out;
}

double sigma_to_timestep(double sigma, const std::vector<float>& train_sigmas) {
  const int64_t n = static_cast<int64_t>(train_sigmas.size());
  const double log_sigma = std::log(std::max(sigma, 1e-10));
  auto log_at = [&](int64_t i) { return static_cast<double>(std::log(train_sigmas[i])); };  // f32 log, as numpy
  // The last index whose log-sigma is <= log(sigma) (0 when none is), at most n - 2.
  int64_t low = 0;
  for (int64_t i = 0; i < n; ++i)
    if (log_sigma - log_at(i) >= 0.0) low = i;
  low = std::min(low, n - 2);
  const double w = std::clamp((log_at(low) - log_sigma) / (log_at(low) - log_at(low + 1)), 0.0, 1.0);
  return (1.0 - w) * static_cast<double>(low) + w * static_cast<double>(low + 1);
}

}  // namespace facet::diffusion
