// Diffusion schedulers against the PyTorch reference's goldens (tests/models/sd_ref.py, written by
// make_sd_tiny.py): tests/models/goldens/sd_tiny/schedulers/*.json (schedules and model-free
// trajectories of every variant), the txt2img runs' scheduler steps replayed from their saved
// guided model outputs, the img2img cut, and malformed configs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "diffusion/guidance.hpp"
#include "diffusion/img2img.hpp"
#include "diffusion/scheduler.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"

namespace facet::diffusion {
namespace {

using Json = nlohmann::json;
const std::string kGoldens = std::string(FACET_SOURCE_DIR) + "/tests/models/goldens/";

Json load_json(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << path;
  return Json::parse(f);
}

std::vector<float> load_npy(const std::string& path) { return io::read_npy(path).to_f32(); }

// Largest absolute and relative (to max(|expected|, 1)) differences seen, for the report.
struct Error {
  double abs = 0, rel = 0;
  void add(double got, double want) {
    abs = std::max(abs, std::abs(got - want));
    rel = std::max(rel, std::abs(got - want) / std::max(std::abs(want), 1.0));
  }
};

// The draws of the goldens' model-free trajectories: draw i is cos(i + 0.25 j), j = 0..n-1.
class CosineNoise : public NoiseSource {
 public:
  void fill(std::span<float> out) override {
    for (size_t j = 0; j < out.size(); ++j) out[j] = std::cos(static_cast<float>(draws_) + 0.25f * static_cast<float>(j));
    ++draws_;
  }
  int draws_ = 0;
};

// Rows of a [n, ...] array in turn (step_noise.npy).
class ReplayNoise : public NoiseSource {
 public:
  explicit ReplayNoise(std::vector<float> rows) : rows_(std::move(rows)) {}
  void fill(std::span<float> out) override {
    ASSERT_LE((next_ + 1) * out.size(), rows_.size());
    std::copy_n(rows_.begin() + next_ * out.size(), out.size(), out.begin());
    ++next_;
  }
  std::vector<float> rows_;
  size_t next_ = 0;
};

SchedulerConfig config_of(const Json& file, const Json& overrides, const std::string& cls) {
  Json merged = file;
  merged.update(overrides);
  return parse_scheduler_config(merged.dump(), scheduler_kind(cls));
}

const char* spacing_name(TimestepSpacing s) {
  return s == TimestepSpacing::Leading ? "leading" : s == TimestepSpacing::Linspace ? "linspace" : "trailing";
}

// The constructor config the reference merged equals what Facet read.
void expect_same_config(const SchedulerConfig& c, const Json& want) {
  EXPECT_EQ(c.num_train_timesteps, want["num_train_timesteps"].get<int>());
  EXPECT_EQ(c.beta_start, want["beta_start"].get<double>());
  EXPECT_EQ(c.beta_end, want["beta_end"].get<double>());
  EXPECT_EQ(c.steps_offset, want["steps_offset"].get<int>());
  EXPECT_EQ(spacing_name(c.timestep_spacing), want["timestep_spacing"].get<std::string>());
  const std::string pred = want["prediction_type"];
  EXPECT_EQ(c.prediction_type, pred == "epsilon" ? Prediction::Epsilon : Prediction::VPrediction);
  if (want.contains("set_alpha_to_one")) {
    EXPECT_EQ(c.set_alpha_to_one, want["set_alpha_to_one"].get<bool>());
  }
  if (want.contains("clip_sample")) {
    EXPECT_EQ(c.clip_sample, want["clip_sample"].get<bool>());
  }
  if (want.contains("skip_prk_steps")) {
    EXPECT_EQ(c.skip_prk_steps, want["skip_prk_steps"].get<bool>());
  }
  if (want.contains("use_karras_sigmas")) {
    EXPECT_EQ(c.use_karras_sigmas, want["use_karras_sigmas"].get<bool>());
  }
  if (want.contains("original_inference_steps")) {
    EXPECT_EQ(c.original_inference_steps, want["original_inference_steps"].get<int>());
  }
}

// Timesteps: exact, except Karras Euler's fractional ones (mapped back from sigmas through f32 logs).
void expect_timesteps(const Scheduler& s, const Json& want, const std::string& what, Error& frac) {
  const auto expected = want.get<std::vector<double>>();
  ASSERT_EQ(s.timesteps().size(), expected.size()) << what;
  const bool fractional = s.config().kind == SchedulerKind::Euler && s.config().use_karras_sigmas;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (fractional) {
      frac.add(s.timesteps()[i], expected[i]);
      EXPECT_NEAR(s.timesteps()[i], expected[i], 2e-3) << what << " timestep " << i;
    } else {
      EXPECT_EQ(s.timesteps()[i], static_cast<float>(expected[i])) << what << " timestep " << i;
    }
  }
}

bool expect_close(double got, double want, double atol, double rtol, Error& err, const std::string& what) {
  err.add(got, want);
  const bool ok = std::abs(got - want) <= atol + rtol * std::abs(want);
  EXPECT_TRUE(ok) << what << ": " << got << " vs " << want;
  return ok;
}

TEST(Schedulers, AlphasCumprodOfScaledLinearBetas) {
  const Json j = load_json(kGoldens + "sd_tiny/schedulers/alphas_cumprod_scaled_linear.json");
  SchedulerConfig c = default_scheduler_config(SchedulerKind::Ddim);
  c.beta_schedule = BetaSchedule::ScaledLinear;
  c.beta_start = j["beta_start"];
  c.beta_end = j["beta_end"];
  const TrainSchedule t = make_train_schedule(c);
  const auto want = j["alphas_cumprod"].get<std::vector<double>>();
  ASSERT_EQ(t.alphas_cumprod.size(), want.size());
  Error err;
  size_t exact = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    expect_close(t.alphas_cumprod[i], want[i], 0.0, 4e-7, err, "alphas_cumprod[" + std::to_string(i) + "]");
    exact += t.alphas_cumprod[i] == static_cast<float>(want[i]);
  }
  std::printf("alphas_cumprod: %zu of 1000 bit-exact, max rel %.3g\n", exact, err.rel);
}

TEST(Schedulers, EveryVariantMatchesTheReference) {
  size_t variants = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kGoldens + "sd_tiny/schedulers")) {
    const std::string name = entry.path().stem().string();
    if (name == "alphas_cumprod_scaled_linear") continue;
    ++variants;
    SCOPED_TRACE(name);
    const Json g = load_json(entry.path().string());
    const std::string cls = g["class"];
    const SchedulerConfig config = config_of(g["config_file"], g["overrides"], cls);
    expect_same_config(config, g["config"]);
    Error acp, ts_err, sig, traj;
    const TrainSchedule train = make_train_schedule(config);
    for (const auto& [index, value] : g["alphas_cumprod"].items())
      expect_close(train.alphas_cumprod[std::stoi(index)], value.get<double>(), 0.0, 4e-7, acp, "acp " + index);
    for (const char* steps : {"4", "10", "25"}) {
      const Json& want = g[steps];
      auto s = make_scheduler(config, std::stoi(steps));
      const std::string what = name + " " + steps + " steps";
      expect_timesteps(*s, want["timesteps"], what, ts_err);
      EXPECT_NEAR(s->init_noise_sigma(), want["init_noise_sigma"].get<double>(),
                  2e-7 * want["init_noise_sigma"].get<double>()) << what;
      if (want.contains("sigmas")) {
        const auto sigmas = want["sigmas"].get<std::vector<double>>();
        ASSERT_EQ(s->sigmas().size(), sigmas.size()) << what;
        for (size_t i = 0; i < sigmas.size(); ++i) expect_close(s->sigmas()[i], sigmas[i], 1e-7, 5e-7, sig, what + " sigma");
      } else {
        EXPECT_TRUE(s->sigmas().empty());
      }
      if (!want.contains("trajectory")) continue;
      // model output 0.5 tanh(scale_model_input(x, i)) + t / 1000 from trajectory_start * init_noise_sigma.
      std::vector<float> x;
      for (double v : g["trajectory_start"]) x.push_back(static_cast<float>(v) * s->init_noise_sigma());
      CosineNoise noise;
      s->begin(0);
      const Json& traj_want = want["trajectory"];
      ASSERT_EQ(traj_want.size(), s->timesteps().size()) << what;
      for (size_t i = 0; i < s->timesteps().size(); ++i) {
        std::vector<float> out = s->scale_model_input(x, i);
        for (float& v : out) v = 0.5f * std::tanh(v) + static_cast<float>(s->timesteps()[i] / 1000.0);
        x = s->step(out, i, x, &noise);
        bool ok = true;
        for (size_t k = 0; k < x.size(); ++k)
          ok &= expect_close(x[k], traj_want[i][k].get<double>(), 2e-6, 2e-6, traj, what + " step " + std::to_string(i));
        if (!ok) break;  // one step's report is enough
      }
    }
    std::printf("%-20s acp rel %.2g  sigma abs %.2g rel %.2g  trajectory abs %.2g rel %.2g  karras t abs %.2g\n",
                name.c_str(), acp.rel, sig.abs, sig.rel, traj.abs, traj.rel, ts_err.abs);
  }
  EXPECT_EQ(variants, 17u);
}

// The txt2img runs: each scheduler stepped over the run's saved guided model outputs (and, for
// Euler a and LCM, step_noise.npy's draws) gives the run's latents after every step.
void replay_runs(const std::string& model, const std::string& folder_config) {
  const std::string dir = kGoldens + model + "/";
  const Json cases = load_json(dir + "cases.json");
  std::ifstream f(folder_config);
  const std::string folder_text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::vector<float> noise0 = load_npy(dir + "noise.npy");
  for (const auto& [run, c] : cases["txt2img"].items()) {
    SCOPED_TRACE(model + " " + run);
    Json file = run == "turbo" ? load_json(dir + "turbo_scheduler_config.json") : Json::parse(folder_text);
    const SchedulerConfig config = config_of(file, c["overrides"], c["class"]);
    auto s = make_scheduler(config, c["steps"].get<int>());
    Error unused, err;
    expect_timesteps(*s, c["timesteps"], run, unused);
    EXPECT_FLOAT_EQ(s->init_noise_sigma(), c["init_noise_sigma"].get<float>());
    if (!c["sigmas"].is_null()) {
      for (size_t i = 0; i < c["sigmas"].size(); ++i) EXPECT_FLOAT_EQ(s->sigmas()[i], c["sigmas"][i].get<float>());
    }
    EXPECT_EQ(s->stochastic(), c["uses_step_noise"].get<bool>());

    const std::vector<float> preds = load_npy(dir + "txt2img." + run + ".noise_pred.npy");
    const std::vector<float> latents = load_npy(dir + "txt2img." + run + ".latents.npy");
    const size_t n = noise0.size(), calls = s->timesteps().size();
    ASSERT_EQ(preds.size(), calls * n);
    std::vector<float> x = noise0;
    for (float& v : x) v *= s->init_noise_sigma();
    ReplayNoise noise(load_npy(dir + "step_noise.npy"));
    s->begin();
    for (size_t i = 0; i < calls; ++i) {
      x = s->step(std::span<const float>(preds).subspan(i * n, n), i, x, &noise);
      size_t bad = 0;
      for (size_t k = 0; k < n && bad < 3; ++k)
        bad += !expect_close(x[k], latents[i * n + k], 1e-5, 5e-6, err, run + " step " + std::to_string(i));
      if (bad) break;
    }
    std::printf("%s %-16s latents abs %.2g rel %.2g\n", model.c_str(), run.c_str(), err.abs, err.rel);
  }
}

TEST(Schedulers, Txt2ImgRunsReplayed) {
  replay_runs("sd_tiny", std::string(FACET_SOURCE_DIR) + "/tests/models/sd_tiny/scheduler/scheduler_config.json");
  replay_runs("sd2_tiny", std::string(FACET_SOURCE_DIR) + "/tests/models/sd2_tiny/scheduler/scheduler_config.json");
}

TEST(Schedulers, Img2ImgCutAndAddNoise) {
  const Json cases = load_json(kGoldens + "sd_tiny/cases.json");
  const std::string folder = std::string(FACET_SOURCE_DIR) + "/tests/models/sd_tiny/scheduler/scheduler_config.json";
  const Json file = load_json(folder);
  for (const auto& [run, c] : cases["img2img"].items()) {
    SCOPED_TRACE(run);
    auto s = make_scheduler(config_of(file, Json::object(), c["class"]), c["steps"].get<int>());
    const size_t first = img2img_first_call(*s, c["strength"].get<double>());
    const auto want = c["timesteps"].get<std::vector<double>>();
    ASSERT_EQ(s->timesteps().size() - first, want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(s->timesteps()[first + i], static_cast<float>(want[i]));
    // add_noise at the first call: DDIM sqrt(acp) x + sqrt(1 - acp) n; Euler x + sigma n.
    const std::vector<float> x0 = {1.0f, -2.0f}, n = {0.5f, 0.25f};
    const std::vector<float> y = s->add_noise(x0, n, first);
    const int t = static_cast<int>(want[0]);
    for (size_t k = 0; k < 2; ++k) {
      if (run == "ddim") {
        const double a = s->train().alphas_cumprod[t];
        EXPECT_NEAR(y[k], std::sqrt(a) * x0[k] + std::sqrt(1 - a) * n[k], 1e-6);
      } else {
        EXPECT_NEAR(y[k], x0[k] + s->sigmas()[first] * n[k], 1e-6);
      }
    }
  }
  // steps * strength below one step, and strength outside (0, 1].
  auto s = make_scheduler(sd_default_scheduler_config(SchedulerKind::Ddim), 4);
  EXPECT_EQ(img2img_first_call(*s, 1.0), 0u);
  EXPECT_EQ(img2img_first_call(*s, 0.5), 2u);
  for (double bad : {0.0, -0.5, 1.5, 0.2}) {
    try {
      img2img_first_call(*s, bad);
      ADD_FAILURE() << "strength " << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("strength"), std::string::npos) << e.what();
    }
  }
}

TEST(Schedulers, DpmAddNoiseUsesTheSigmaOfTheCall) {
  SchedulerConfig c = sd_default_scheduler_config(SchedulerKind::DpmSolverMultistep);
  c.use_karras_sigmas = true;
  auto s = make_scheduler(c, 10);
  const float sigma = s->sigmas()[3];
  const float a = 1.0f / std::sqrt(sigma * sigma + 1.0f);
  const std::vector<float> y = s->add_noise(std::vector<float>{2.0f}, std::vector<float>{1.0f}, 3);
  EXPECT_NEAR(y[0], 2.0f * a + sigma * a, 1e-6);
}

TEST(Schedulers, GuidanceMixAndSeededNoise) {
  const std::vector<float> u = {1.0f, -1.0f}, c = {2.0f, 1.0f};
  const std::vector<float> g = guidance_mix(u, c, 7.5f);
  EXPECT_FLOAT_EQ(g[0], 8.5f);
  EXPECT_FLOAT_EQ(g[1], 14.0f);
  EXPECT_THROW(guidance_mix(u, std::vector<float>{1.0f}, 2.0f), InputError);

  GaussianNoise a(7), b(7), other(8);
  std::vector<float> xa(10001), xb(10001), xo(10001);
  a.fill(xa);
  b.fill(xb);
  other.fill(xo);
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xo);
  double mean = 0, var = 0;
  for (float v : xa) mean += v;
  mean /= xa.size();
  for (float v : xa) var += (v - mean) * (v - mean);
  var /= xa.size();
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_NEAR(var, 1.0, 0.05);
}

// A config problem is an InputError whose message names the key (or value).
void expect_refused(const std::string& json, const std::string& needle, SchedulerKind kind = SchedulerKind::Ddim) {
  try {
    parse_scheduler_config(json, kind);
    ADD_FAILURE() << json << " accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Schedulers, MalformedConfigsNameTheKey) {
  expect_refused(R"({"num_train_timesteps": -5})", "num_train_timesteps");
  expect_refused(R"({"num_train_timesteps": 10.5})", "num_train_timesteps");
  expect_refused(R"({"beta_start": 0.02, "beta_end": 0.01})", "beta_end");
  expect_refused(R"({"beta_schedule": "sigmoid"})", "beta_schedule");
  expect_refused(R"({"beta_start": "small"})", "beta_start");
  expect_refused(R"({"timestep_spacing": "uniform"})", "timestep_spacing");
  expect_refused(R"({"prediction_type": "flow"})", "prediction_type");
  expect_refused(R"({"prediction_type": "sample"})", "prediction_type", SchedulerKind::EulerAncestral);
  expect_refused(R"({"thresholding": true})", "thresholding");
  expect_refused(R"({"rescale_betas_zero_snr": true})", "rescale_betas_zero_snr");
  expect_refused(R"({"clip_sample": 1})", "clip_sample");
  expect_refused(R"({"trained_betas": [0.1, 0.2]})", "trained_betas");
  expect_refused(R"({"algorithm_type": "sde-dpmsolver++"})", "algorithm_type", SchedulerKind::DpmSolverMultistep);
  expect_refused(R"({"solver_order": 3})", "solver_order", SchedulerKind::DpmSolverMultistep);
  expect_refused(R"({"use_exponential_sigmas": true})", "use_exponential_sigmas", SchedulerKind::Euler);
  expect_refused(R"({"interpolation_type": "log_linear"})", "interpolation_type", SchedulerKind::Euler);
  expect_refused(R"({"original_inference_steps": 2000})", "original_inference_steps", SchedulerKind::Lcm);
  expect_refused(R"([1, 2])", "not a JSON object");
  expect_refused(R"({"num_train)", "not valid JSON");
  // Without a class given, the file's _class_name picks it.
  EXPECT_EQ(parse_scheduler_config(R"({"_class_name": "LCMScheduler"})").kind, SchedulerKind::Lcm);
  try {
    parse_scheduler_config(R"({"_class_name": "HeunDiscreteScheduler"})");
    ADD_FAILURE() << "HeunDiscreteScheduler accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("HeunDiscreteScheduler"), std::string::npos) << e.what();
  }
  // Keys another class takes are ignored, as from_config does: DDIM has no use_karras_sigmas.
  EXPECT_NO_THROW(parse_scheduler_config(R"({"use_exponential_sigmas": true})", SchedulerKind::Ddim));
  // Python's bare -Infinity (DPM-Solver's lambda_min_clipped) reads as a number.
  EXPECT_EQ(parse_scheduler_config(R"({"lambda_min_clipped": -Infinity})", SchedulerKind::DpmSolverMultistep)
                .lambda_min_clipped,
            -std::numeric_limits<double>::infinity());

  const SchedulerConfig sd = sd_default_scheduler_config(SchedulerKind::Euler);
  for (int steps : {0, -1, 1001}) {
    try {
      make_scheduler(sd, steps);
      ADD_FAILURE() << "steps " << steps << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("steps " + std::to_string(steps)), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(make_scheduler(sd_default_scheduler_config(SchedulerKind::Lcm), 51), InputError);
  SchedulerConfig prk = sd_default_scheduler_config(SchedulerKind::Pndm);
  prk.skip_prk_steps = false;
  EXPECT_THROW(make_scheduler(prk, 3), InputError);
}

TEST(Schedulers, StepsComeInOrderAndNeedNoiseWhenStochastic) {
  auto s = make_scheduler(sd_default_scheduler_config(SchedulerKind::EulerAncestral), 4);
  const std::vector<float> x = {0.1f, 0.2f};
  EXPECT_THROW(s->step(x, 1, x, nullptr), InternalError);  // begin() is call 0
  EXPECT_THROW(s->step(x, 0, x, nullptr), InternalError);  // no noise source
  EXPECT_THROW(s->step(std::vector<float>{1.0f}, 0, x, nullptr), InputError);
  EXPECT_THROW(s->begin(4), InputError);
}

}  // namespace
}  // namespace facet::diffusion
