#include "diffusion/scheduler.hpp"

#include <string>

#include "diffusion/ddim.hpp"
#include "diffusion/dpm_solver.hpp"
#include "diffusion/euler.hpp"
#include "diffusion/euler_ancestral.hpp"
#include "diffusion/lcm.hpp"
#include "diffusion/pndm.hpp"
#include "util/error.hpp"

namespace facet::diffusion {

Scheduler::Scheduler(const SchedulerConfig& config, int steps)
    : config_(config), train_(make_train_schedule(config)), steps_(steps) {
  if (steps < 1 || steps > config.num_train_timesteps)
    throw InputError(std::string(scheduler_class_name(config.kind)) + ": steps " + std::to_string(steps) +
                     " must lie in [1, num_train_timesteps = " + std::to_string(config.num_train_timesteps) + "]");
}

void Scheduler::begin(size_t first) {
  if (first >= timesteps_.size())
    throw InputError("scheduler: first model call " + std::to_string(first) + " is past the last of " +
                     std::to_string(timesteps_.size()));
  first_ = next_ = first;
  reset_history();
}

std::vector<float> Scheduler::scale_model_input(std::span<const float> sample, size_t) const {
  return {sample.begin(), sample.end()};
}

std::vector<float> Scheduler::step(std::span<const float> model_output, size_t i, std::span<const float> sample,
                                   NoiseSource* noise) {
  if (model_output.size() != sample.size())
    throw InputError("scheduler step: model output has " + std::to_string(model_output.size()) +
                     " values, the sample " + std::to_string(sample.size()));
  if (i != next_)
    throw InternalError("scheduler step " + std::to_string(i) + " out of order: expected " + std::to_string(next_));
  std::vector<float> out = step_at(model_output, i, sample, noise, next_ - first_);
  ++next_;
  return out;
}

std::vector<float> Scheduler::draw(NoiseSource* noise, size_t n) const {
  if (!noise) throw InternalError(std::string(scheduler_class_name(config_.kind)) + ": step needs a noise source");
  std::vector<float> out(n);
  noise->fill(out);
  return out;
}

void Scheduler::check_add_noise(size_t samples, size_t noises, size_t i) const {
  if (samples != noises)
    throw InputError("add_noise: the sample has " + std::to_string(samples) + " values, the noise " + std::to_string(noises));
  if (i >= timesteps_.size())
    throw InputError("add_noise: model call " + std::to_string(i) + " is past the last of " +
                     std::to_string(timesteps_.size()));
}

std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config, int steps) {
  switch (config.kind) {
    case SchedulerKind::Ddim: return std::make_unique<DdimScheduler>(config, steps);
    case SchedulerKind::Pndm: return std::make_unique<PndmScheduler>(config, steps);
    case SchedulerKind::Euler: return std::make_unique<EulerScheduler>(config, steps);
    case SchedulerKind::EulerAncestral: return std::make_unique<EulerAncestralScheduler>(config, steps);
    case SchedulerKind::DpmSolverMultistep: return std::make_unique<DpmSolverScheduler>(config, steps);
    case SchedulerKind::Lcm: return std::make_unique<LcmScheduler>(config, steps);
  }
  throw InternalError("make_scheduler: unknown kind");
}

}  // namespace facet::diffusion
