#include "diffusion/scheduler_config.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "util/error.hpp"

namespace facet::diffusion {
namespace {

using Json = nlohmann::json;

struct KindName {
  SchedulerKind kind;
  const char* class_name;
  const char* short_name;
};
constexpr KindName kKinds[] = {
    {SchedulerKind::Ddim, "DDIMScheduler", "ddim"},
    {SchedulerKind::Pndm, "PNDMScheduler", "pndm"},
    {SchedulerKind::Euler, "EulerDiscreteScheduler", "euler"},
    {SchedulerKind::EulerAncestral, "EulerAncestralDiscreteScheduler", "euler_a"},
    {SchedulerKind::DpmSolverMultistep, "DPMSolverMultistepScheduler", "dpmpp_2m"},
    {SchedulerKind::Lcm, "LCMScheduler", "lcm"},
};

// Python's json.dump writes NaN, Infinity and -Infinity bare (DPM-Solver's lambda_min_clipped);
// outside strings they become the strings "NaN", "Infinity", "-Infinity", read back as numbers.
std::string quote_bare_non_finite(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    bool matched = false;
    for (std::string_view word : {"-Infinity", "Infinity", "NaN"}) {
      if (text.substr(i, word.size()) == word) {
        out += '"';
        out += word;
        out += '"';
        i += word.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += c;
  }
  return out;
}

class Reader {
 public:
  Reader(const Json& j, std::string source, std::set<std::string> keys)
      : j_(j), source_(std::move(source)), keys_(std::move(keys)) {}

  // The key's value when the class takes the key and the file has it (null counts as absent).
  const Json* find(const char* key) const {
    if (!keys_.count(key)) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  [[noreturn]] void fail(const char* key, const std::string& why) const {
    throw InputError(source_ + ": \"" + key + "\" " + why);
  }
  double number(const char* key, double fallback) const {
    const Json* v = find(key);
    if (!v) return fallback;
    if (v->is_number()) return v->get<double>();
    if (v->is_string()) {
      std::string s = v->get<std::string>();
      if (s == "Infinity") return std::numeric_limits<double>::infinity();
      if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    }
    fail(key, "must be a number, not " + v->dump());
  }
  std::optional<double> optional_number(const char* key) const {
    if (!find(key)) return std::nullopt;
    return number(key, 0.0);
  }
  int integer(const char* key, int fallback) const {
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number() || std::floor(v->get<double>()) != v->get<double>() || std::abs(v->get<double>()) > 1e9)
      fail(key, "must be an integer, not " + v->dump());
    return static_cast<int>(v->get<double>());
  }
  bool boolean(const char* key, bool fallback) const {
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "must be true or false, not " + v->dump());
    return v->get<bool>();
  }
  // One of `allowed`; `fallback` when the key is absent.
  std::string choice(const char* key, const std::string& fallback, std::initializer_list<const char*> allowed) const {
    const Json* v = find(key);
    if (!v) return fallback;
    std::string list;
    for (const char* a : allowed) {
      if (v->is_string() && v->get<std::string>() == a) return a;
      list += std::string(list.empty() ? "" : ", ") + a;
    }
    fail(key, "is " + v->dump() + "; Facet supports " + list);
  }
  // A flag Facet only implements as false (or a value it only implements as null).
  void require_unset(const char* key) const {
    const Json* v = find(key);
    if (v && !(v->is_boolean() && !v->get<bool>())) fail(key, "is " + v->dump() + ", which Facet does not implement");
  }

 private:
  const Json& j_;
  std::string source_;
  std::set<std::string> keys_;
};

// The constructor arguments each class takes (diffusers' __init__ signatures).
std::set<std::string> class_keys(SchedulerKind kind) {
  std::set<std::string> k = {"num_train_timesteps", "beta_start",     "beta_end",        "beta_schedule",
                             "trained_betas",       "prediction_type", "timestep_spacing", "steps_offset",
                             "rescale_betas_zero_snr"};
  auto add = [&](std::initializer_list<const char*> more) { k.insert(more.begin(), more.end()); };
  switch (kind) {
    case SchedulerKind::Ddim:
      add({"clip_sample", "set_alpha_to_one", "thresholding", "dynamic_thresholding_ratio", "clip_sample_range",
           "sample_max_value"});
      break;
    case SchedulerKind::Pndm: add({"skip_prk_steps", "set_alpha_to_one"}); break;
    case SchedulerKind::Euler:
      add({"interpolation_type", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "sigma_min",
           "sigma_max", "timestep_type", "final_sigmas_type"});
      break;
    case SchedulerKind::EulerAncestral: break;
    case SchedulerKind::DpmSolverMultistep:
      add({"solver_order", "thresholding", "dynamic_thresholding_ratio", "sample_max_value", "algorithm_type",
           "solver_type", "lower_order_final", "euler_at_final", "use_karras_sigmas", "use_exponential_sigmas",
           "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas", "final_sigmas_type", "lambda_min_clipped",
           "variance_type"});
      break;
    case SchedulerKind::Lcm:
      add({"original_inference_steps", "clip_sample", "clip_sample_range", "set_alpha_to_one", "thresholding",
           "dynamic_thresholding_ratio", "sample_max_value", "timestep_scaling"});
      break;
  }
  return k;
}

const char* spacing_name(TimestepSpacing s) {
  return s == TimestepSpacing::Leading ? "leading" : s == TimestepSpacing::Linspace ? "linspace" : "trailing";
}

void validate(const SchedulerConfig& c, const Reader& r) {
  if (c.num_train_timesteps < 2) r.fail("num_train_timesteps", "must be at least 2, not " + std::to_string(c.num_train_timesteps));
  if (c.trained_betas.empty()) {
    if (!(c.beta_start > 0.0 && c.beta_start < 1.0)) r.fail("beta_start", "must lie in (0, 1)");
    if (!(c.beta_end >= c.beta_start && c.beta_end < 1.0))
      r.fail("beta_end", "must lie in [beta_start, 1): beta_end " + std::to_string(c.beta_end) + " < beta_start " +
                             std::to_string(c.beta_start));
  } else {
    if (static_cast<int>(c.trained_betas.size()) != c.num_train_timesteps)
      r.fail("trained_betas", "has " + std::to_string(c.trained_betas.size()) + " values for num_train_timesteps " +
                                  std::to_string(c.num_train_timesteps));
    for (double b : c.trained_betas)
      if (!(b >= 0.0 && b < 1.0)) r.fail("trained_betas", "values must lie in [0, 1)");
  }
  if (c.steps_offset < 0 || c.steps_offset >= c.num_train_timesteps) r.fail("steps_offset", "must lie in [0, num_train_timesteps)");
  if (!(c.clip_sample_range > 0.0)) r.fail("clip_sample_range", "must be positive");
  if (c.sigma_min && !(*c.sigma_min > 0.0)) r.fail("sigma_min", "must be positive");
  if (c.sigma_max && !(*c.sigma_max > 0.0 && *c.sigma_max >= c.sigma_min.value_or(0.0)))
    r.fail("sigma_max", "must be positive and at least sigma_min");
  if (c.original_inference_steps < 1 || c.original_inference_steps > c.num_train_timesteps)
    r.fail("original_inference_steps", "must lie in [1, num_train_timesteps]");
  if (!(c.timestep_scaling > 0.0)) r.fail("timestep_scaling", "must be positive");
  if (std::isnan(c.lambda_min_clipped)) r.fail("lambda_min_clipped", "must be a number");
}

}  // namespace

SchedulerKind scheduler_kind(std::string_view name) {
  for (const KindName& k : kKinds)
    if (name == k.class_name || name == k.short_name) return k.kind;
  throw InputError("unknown scheduler \"" + std::string(name) +
                   "\": Facet implements DDIMScheduler (ddim), PNDMScheduler (pndm), EulerDiscreteScheduler (euler), "
                   "EulerAncestralDiscreteScheduler (euler_a), DPMSolverMultistepScheduler (dpmpp_2m), LCMScheduler (lcm)");
}

const char* scheduler_class_name(SchedulerKind kind) {
  for (const KindName& k : kKinds)
    if (k.kind == kind) return k.class_name;
  return "?";
}

SchedulerConfig default_scheduler_config(SchedulerKind kind) {
  SchedulerConfig c;
  c.kind = kind;
  switch (kind) {
    case SchedulerKind::Ddim: break;
    case SchedulerKind::Pndm: c.set_alpha_to_one = false; break;
    case SchedulerKind::Euler:
    case SchedulerKind::EulerAncestral:
    case SchedulerKind::DpmSolverMultistep: c.timestep_spacing = TimestepSpacing::Linspace; break;
    case SchedulerKind::Lcm:
      c.beta_start = 0.00085;
      c.beta_end = 0.012;
      c.beta_schedule = BetaSchedule::ScaledLinear;
      c.clip_sample = false;
      break;
  }
  return c;
}

SchedulerConfig parse_scheduler_config(std::string_view json_text, std::optional<SchedulerKind> kind,
                                       const std::string& source) {
  Json j;
  try {
    j = Json::parse(quote_bare_non_finite(json_text));
  } catch (const Json::exception& e) {
    throw InputError(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(source + ": not a JSON object");
  if (!kind) {
    auto it = j.find("_class_name");
    if (it == j.end() || !it->is_string()) throw InputError(source + ": \"_class_name\" is missing; name the scheduler");
    kind = scheduler_kind(it->get<std::string>());
  }
  SchedulerConfig c = default_scheduler_config(*kind);
  Reader r(j, source, class_keys(*kind));

  c.num_train_timesteps = r.integer("num_train_timesteps", c.num_train_timesteps);
  c.beta_start = r.number("beta_start", c.beta_start);
  c.beta_end = r.number("beta_end", c.beta_end);
  std::string schedule = r.choice("beta_schedule", c.beta_schedule == BetaSchedule::Linear ? "linear" : "scaled_linear",
                                  {"linear", "scaled_linear", "squaredcos_cap_v2"});
  c.beta_schedule = schedule == "linear"          ? BetaSchedule::Linear
                    : schedule == "scaled_linear" ? BetaSchedule::ScaledLinear
                                                  : BetaSchedule::SquaredCosCapV2;
  if (const Json* tb = r.find("trained_betas")) {
    if (!tb->is_array()) r.fail("trained_betas", "must be null or a list of numbers");
    for (const Json& b : *tb) {
      if (!b.is_number()) r.fail("trained_betas", "must be null or a list of numbers");
      c.trained_betas.push_back(b.get<double>());
    }
  }
  std::string pred = r.choice("prediction_type", "epsilon", {"epsilon", "v_prediction", "sample"});
  c.prediction_type = pred == "epsilon" ? Prediction::Epsilon : pred == "v_prediction" ? Prediction::VPrediction
                                                                                       : Prediction::Sample;
  if (c.prediction_type == Prediction::Sample && (*kind == SchedulerKind::Pndm || *kind == SchedulerKind::EulerAncestral))
    r.fail("prediction_type", std::string("\"sample\" is not implemented by ") + scheduler_class_name(*kind));
  std::string spacing = r.choice("timestep_spacing", spacing_name(c.timestep_spacing), {"leading", "linspace", "trailing"});
  c.timestep_spacing = spacing == "leading"    ? TimestepSpacing::Leading
                       : spacing == "linspace" ? TimestepSpacing::Linspace
                                               : TimestepSpacing::Trailing;
  c.steps_offset = r.integer("steps_offset", c.steps_offset);
  r.require_unset("rescale_betas_zero_snr");
  r.require_unset("thresholding");

  c.set_alpha_to_one = r.boolean("set_alpha_to_one", c.set_alpha_to_one);
  c.clip_sample = r.boolean("clip_sample", c.clip_sample);
  c.clip_sample_range = r.number("clip_sample_range", c.clip_sample_range);
  c.skip_prk_steps = r.boolean("skip_prk_steps", c.skip_prk_steps);

  c.use_karras_sigmas = r.boolean("use_karras_sigmas", c.use_karras_sigmas);
  for (const char* k : {"use_exponential_sigmas", "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas", "variance_type"})
    r.require_unset(k);
  r.choice("interpolation_type", "linear", {"linear"});
  r.choice("timestep_type", "discrete", {"discrete"});
  c.sigma_min = r.optional_number("sigma_min");
  c.sigma_max = r.optional_number("sigma_max");
  c.final_sigma_zero = r.choice("final_sigmas_type", "zero", {"zero", "sigma_min"}) == "zero";

  c.solver_order = r.integer("solver_order", c.solver_order);
  if (c.solver_order != 1 && c.solver_order != 2)
    r.fail("solver_order", "is " + std::to_string(c.solver_order) + "; Facet implements orders 1 and 2");
  r.choice("algorithm_type", "dpmsolver++", {"dpmsolver++"});
  c.solver_midpoint = r.choice("solver_type", "midpoint", {"midpoint", "heun"}) == "midpoint";
  c.lower_order_final = r.boolean("lower_order_final", c.lower_order_final);
  c.euler_at_final = r.boolean("euler_at_final", c.euler_at_final);
  c.lambda_min_clipped = r.number("lambda_min_clipped", c.lambda_min_clipped);

  c.original_inference_steps = r.integer("original_inference_steps", c.original_inference_steps);
  c.timestep_scaling = r.number("timestep_scaling", c.timestep_scaling);
  validate(c, r);
  return c;
}

std::string sd_standard_scheduler_json(Prediction prediction) {
  // SD 1.5's scheduler/scheduler_config.json (runwayml/stable-diffusion-v1-5).
  const char* name = prediction == Prediction::VPrediction ? "v_prediction" : prediction == Prediction::Sample ? "sample" : "epsilon";
  return std::string(R"({"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
          "beta_start": 0.00085, "clip_sample": false, "num_train_timesteps": 1000, "set_alpha_to_one": false,
          "skip_prk_steps": true, "steps_offset": 1, "trained_betas": null, "prediction_type": ")") +
         name + "\"}";
}

SchedulerConfig sd_default_scheduler_config(SchedulerKind kind, Prediction prediction) {
  SchedulerConfig c = parse_scheduler_config(sd_standard_scheduler_json(Prediction::Epsilon), kind, "SD's standard schedule");
  if (prediction == Prediction::Sample && (kind == SchedulerKind::Pndm || kind == SchedulerKind::EulerAncestral))
    throw InputError(std::string("prediction_type \"sample\" is not implemented by ") + scheduler_class_name(kind));
  c.prediction_type = prediction;
  return c;
}

}  // namespace facet::diffusion
