// Inference timesteps from a config's timestep_spacing, with numpy's arithmetic (linspace, arange,
// round half to even, interp) so that they equal diffusers' exactly.
#pragma once

#include <vector>

#include "diffusion/scheduler_config.hpp"

namespace facet::diffusion {

// numpy.linspace(start, stop, num) (endpoint included) and numpy.arange(start, stop, step).
std::vector<double> np_linspace(double start, double stop, int num);
std::vector<double> np_arange(double start, double stop, double step);
double round_half_even(double x);

// numpy.interp(x, [0, 1, ..., table.size() - 1], table).
double interp_index(double x, const std::vector<float>& table);

// The timesteps of DDIM/PNDM/Euler set_timesteps for `steps` steps, descending: leading
// (multiples of T / steps, + steps_offset), linspace (0 .. T-1; rounded unless `keep_fraction`,
// as Euler keeps it) or trailing (from T - 1 down in steps of T / steps).
std::vector<double> spaced_timesteps(const SchedulerConfig& config, int steps, bool keep_fraction = false);

}  // namespace facet::diffusion
