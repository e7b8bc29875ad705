#include "diffusion/img2img.hpp"

#include <algorithm>
#include <sstream>
#include <string>

#include "util/error.hpp"

namespace facet::diffusion {

size_t img2img_first_call(const Scheduler& scheduler, double strength) {
  std::ostringstream shown;
  shown << strength;
  if (!(strength > 0.0 && strength <= 1.0)) throw InputError("strength " + shown.str() + " must lie in (0, 1]");
  const int steps = scheduler.steps();
  const int run = std::min(static_cast<int>(steps * strength), steps);  // Python's int(): truncation
  const size_t first = static_cast<size_t>(std::max(steps - run, 0));   // scheduler order is 1 for every class
  if (run < 1 || first >= scheduler.timesteps().size())
    throw InputError("strength " + shown.str() + " leaves no step of " + std::to_string(steps) +
                     " to run (steps * strength < 1)");
  return first;
}

}  // namespace facet::diffusion
