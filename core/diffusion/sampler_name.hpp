// The --sampler names of the generators: a diffusers scheduler class and its overrides, read
// from the model's scheduler_config.json (diffusers' from_config: keys absent take the class's
// defaults) or, for a single file, SD's standard schedule.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "diffusion/scheduler_config.hpp"

namespace facet::diffusion {

// ddim, pndm, euler, euler_a, dpmpp_2m, dpmpp_2m_karras (use_karras_sigmas), lcm.
std::vector<std::string> sampler_names();

// UsageError (exit 2) for an unknown name; InputError naming the key for a bad config.
SchedulerConfig sampler_config(const std::string& name, std::string_view config_json, const std::string& source);

}  // namespace facet::diffusion
