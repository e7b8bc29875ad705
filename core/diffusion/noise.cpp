#include "diffusion/noise.hpp"

#include <cmath>
#include <numbers>

namespace facet::diffusion {

double GaussianNoise::uniform() {
  // The top 53 bits as (k + 1) / 2^53: never 0, so log() stays finite.
  return (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
}

void GaussianNoise::fill(std::span<float> out) {
  for (size_t i = 0; i < out.size(); i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double theta = 2.0 * std::numbers::pi * uniform();
    out[i] = static_cast<float>(r * std::cos(theta));
    if (i + 1 < out.size()) out[i + 1] = static_cast<float>(r * std::sin(theta));
  }
}

}  // namespace facet::diffusion
