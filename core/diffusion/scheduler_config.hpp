// A diffusers scheduler_config.json read as one scheduler class's constructor arguments: keys the
// class takes replace its defaults, keys it does not take are ignored (as from_config does), and a
// value Facet cannot reproduce is an InputError naming the key.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facet::diffusion {

// The diffusers scheduler classes Facet implements.
enum class SchedulerKind { Ddim, Pndm, Euler, EulerAncestral, DpmSolverMultistep, Lcm };

enum class BetaSchedule { Linear, ScaledLinear, SquaredCosCapV2 };
enum class TimestepSpacing { Leading, Linspace, Trailing };
enum class Prediction { Epsilon, VPrediction, Sample };

// Every key any implemented class takes; each class reads the ones it has (defaults per class).
struct SchedulerConfig {
  SchedulerKind kind = SchedulerKind::Ddim;
  int num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  BetaSchedule beta_schedule = BetaSchedule::Linear;
  std::vector<double> trained_betas;  // empty: from beta_schedule
  Prediction prediction_type = Prediction::Epsilon;
  TimestepSpacing timestep_spacing = TimestepSpacing::Leading;
  int steps_offset = 0;
  bool set_alpha_to_one = true;     // DDIM, PNDM, LCM
  bool clip_sample = true;          // DDIM, LCM
  double clip_sample_range = 1.0;   // DDIM, LCM
  bool skip_prk_steps = false;      // PNDM
  bool use_karras_sigmas = false;   // Euler, DPM-Solver
  std::optional<double> sigma_min;  // Euler (Karras ends)
  std::optional<double> sigma_max;
  bool final_sigma_zero = true;     // final_sigmas_type: "zero" or "sigma_min" (Euler, DPM-Solver)
  int solver_order = 2;             // DPM-Solver: 1 or 2
  bool solver_midpoint = true;      // DPM-Solver solver_type: "midpoint" or "heun"
  bool lower_order_final = true;
  bool euler_at_final = false;
  double lambda_min_clipped = -std::numeric_limits<double>::infinity();
  int original_inference_steps = 50;  // LCM
  double timestep_scaling = 10.0;     // LCM
};

// "DDIMScheduler" or "ddim", "PNDMScheduler"/"pndm", "EulerDiscreteScheduler"/"euler",
// "EulerAncestralDiscreteScheduler"/"euler_a", "DPMSolverMultistepScheduler"/"dpmpp_2m",
// "LCMScheduler"/"lcm". Anything else: InputError naming it.
SchedulerKind scheduler_kind(std::string_view name);
const char* scheduler_class_name(SchedulerKind kind);

// The class's defaults (diffusers' __init__ arguments).
SchedulerConfig default_scheduler_config(SchedulerKind kind);

// json_text: the file's text (bare NaN/Infinity/-Infinity as Python writes them are accepted).
// kind: the class to build; without it, the file's "_class_name". `source` names the file in errors.
SchedulerConfig parse_scheduler_config(std::string_view json_text, std::optional<SchedulerKind> kind = {},
                                       const std::string& source = "scheduler_config.json");

// SD's standard schedule for a single-file checkpoint (no scheduler_config.json): scaled_linear betas
// 0.00085-0.012, 1000 steps, steps_offset 1, the given prediction type; other keys the class's.
SchedulerConfig sd_default_scheduler_config(SchedulerKind kind, Prediction prediction = Prediction::Epsilon);
// The same schedule as scheduler_config.json text (SD 1.5's file, with `prediction_type`), for a
// model that has no file of its own.
std::string sd_standard_scheduler_json(Prediction prediction);

}  // namespace facet::diffusion
