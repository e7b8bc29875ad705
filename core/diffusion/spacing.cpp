#include "diffusion/spacing.hpp"

#include <algorithm>
#include <cmath>

namespace facet::diffusion {

std::vector<double> np_linspace(double start, double stop, int num) {
  std::vector<double> out(num);
  if (num == 1) {
    out[0] = start;
    return out;
  }
  const double step = (stop - start) / (num - 1);
  for (int i = 0; i < num; ++i) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

std::vector<double> np_arange(double start, double stop, double step) {
  // numpy: length ceil((stop - start) / step); element i = start + i * (second - first).
  const double len = std::ceil((stop - start) / step);
  std::vector<double> out;
  if (!(len > 0)) return out;
  const double delta = (start + step) - start;
  for (int64_t i = 0; i < static_cast<int64_t>(len); ++i) out.push_back(start + static_cast<double>(i) * delta);
  return out;
}

double round_half_even(double x) { return std::nearbyint(x); }

double interp_index(double x, const std::vector<float>& table) {
  const int64_t last = static_cast<int64_t>(table.size()) - 1;
  if (x <= 0.0) return table[0];
  if (x >= static_cast<double>(last)) return table[last];
  const int64_t j = static_cast<int64_t>(std::floor(x));
  const double slope = (static_cast<double>(table[j + 1]) - table[j]) / 1.0;
  return slope * (x - static_cast<double>(j)) + table[j];
}

std::vector<double> spaced_timesteps(const SchedulerConfig& c, int steps, bool keep_fraction) {
  const int T = c.num_train_timesteps;
  std::vector<double> ts;
  switch (c.timestep_spacing) {
    case TimestepSpacing::Linspace:
      ts = np_linspace(0.0, T - 1.0, steps);
      if (!keep_fraction)
        for (double& t : ts) t = round_half_even(t);
      std::reverse(ts.begin(), ts.end());
      break;
    case TimestepSpacing::Leading: {
      const int ratio = T / steps;
      for (int i = steps - 1; i >= 0; --i) ts.push_back(static_cast<double>(i) * ratio + c.steps_offset);
      break;
    }
    case TimestepSpacing::Trailing:
      for (double t : np_arange(T, 0.0, -static_cast<double>(T) / steps)) ts.push_back(round_half_even(t) - 1.0);
      break;
  }
  return ts;
}

}  // namespace facet::diffusion
