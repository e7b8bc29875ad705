#include "diffusion/timestep_embedding.hpp"

#include <cmath>

#include "util/error.hpp"

namespace facet::diffusion {

std::vector<float> timestep_projection(double t, int64_t dim, bool flip_sin_to_cos, double freq_shift) {
  if (dim < 2 || dim % 2 != 0) throw InputError("the timestep projection width " + std::to_string(dim) + " is not even");
  const int64_t half = dim / 2;
  const float denom = static_cast<float>(static_cast<double>(half) - freq_shift);
  const float log_period = -std::log(10000.0f);
  std::vector<float> out(static_cast<size_t>(dim));
  for (int64_t i = 0; i < half; ++i) {
    const float f = std::exp(log_period * static_cast<float>(i) / denom);
    const float arg = static_cast<float>(t) * f;
    const float s = static_cast<float>(std::sin(static_cast<double>(arg)));
    const float c = static_cast<float>(std::cos(static_cast<double>(arg)));
    out[static_cast<size_t>(i)] = flip_sin_to_cos ? c : s;
    out[static_cast<size_t>(half + i)] = flip_sin_to_cos ? s : c;
  }
  return out;
}

}  // namespace facet::diffusion
