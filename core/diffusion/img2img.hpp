// img2img's start, as StableDiffusionImg2ImgPipeline.get_timesteps has it: of `steps` steps the
// last min(int(steps * strength), steps) run; the loop starts at that model call (begin()), and
// the encoded image is noised to its level with Scheduler::add_noise(x0, noise, first).
#pragma once

#include <cstddef>

#include "diffusion/scheduler.hpp"

namespace facet::diffusion {

// The index in scheduler.timesteps() of the first model call. InputError naming strength when it
// lies outside (0, 1] or leaves no step to run.
size_t img2img_first_call(const Scheduler& scheduler, double strength);

}  // namespace facet::diffusion
