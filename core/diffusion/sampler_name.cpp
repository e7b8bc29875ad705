#include "diffusion/sampler_name.hpp"

#include "util/error.hpp"

namespace facet::diffusion {

std::vector<std::string> sampler_names() { return {"ddim", "pndm", "euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "lcm"}; }

SchedulerConfig sampler_config(const std::string& name, std::string_view config_json, const std::string& source) {
  bool known = false;
  for (const auto& n : sampler_names()) known = known || n == name;
  if (!known) {
    std::string list;
    for (const auto& n : sampler_names()) list += (list.empty() ? "" : ", ") + n;
    throw UsageError("--sampler '" + name + "' is not available (" + list + ")");
  }
  const bool karras = name == "dpmpp_2m_karras";
  SchedulerConfig c = parse_scheduler_config(config_json, scheduler_kind(karras ? "dpmpp_2m" : name), source);
  if (karras) c.use_karras_sigmas = true;
  return c;
}

}  // namespace facet::diffusion
