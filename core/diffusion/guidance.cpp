#include "diffusion/guidance.hpp"

#include <string>

#include "util/error.hpp"

namespace facet::diffusion {

std::vector<float> guidance_mix(std::span<const float> uncond, std::span<const float> cond, float scale) {
  if (uncond.size() != cond.size())
    throw InputError("guidance_mix: unconditional output has " + std::to_string(uncond.size()) +
                     " values, conditional " + std::to_string(cond.size()));
  std::vector<float> out(cond.size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = uncond[k] + scale * (cond[k] - uncond[k]);
  return out;
}

}  // namespace facet::diffusion
