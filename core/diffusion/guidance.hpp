// Classifier-free guidance: the guided model output uncond + scale * (cond - uncond), in f32 as
// diffusers' pipelines compute it.
#pragma once

#include <span>
#include <vector>

namespace facet::diffusion {

std::vector<float> guidance_mix(std::span<const float> uncond, std::span<const float> cond, float scale);

}  // namespace facet::diffusion
