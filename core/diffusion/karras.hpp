// Karras et al. (2022) sigmas and the inverse map from a sigma to a fractional training timestep,
// in double as diffusers computes them with numpy.
#pragma once

#include <vector>

namespace facet::diffusion {

// `steps` sigmas from sigma_max down to sigma_min, evenly spaced in sigma^(1/rho), rho = 7.
std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int steps);

// The fractional timestep whose log-sigma interpolates linearly between the training sigmas
// (ascending) around log(sigma); clamped to [0, T - 1].
double sigma_to_timestep(double sigma, const std::vector<float>& train_sigmas);

}  // namespace facet::diffusion
