// The sinusoidal timestep projection of diffusers' Timesteps (time_proj), computed on the host and
// fed to the UNet: for i < dim/2, f_i = exp(-ln(10000) i / (dim/2 - freq_shift)),
// y = [sin(t f), cos(t f)], or [cos, sin] when flip_sin_to_cos. Arithmetic in f32 as PyTorch's.
#pragma once

#include <cstdint>
#include <vector>

namespace facet::diffusion {

// f32 [dim] (dim even).
std::vector<float> timestep_projection(double t, int64_t dim, bool flip_sin_to_cos, double freq_shift);

}  // namespace facet::diffusion
