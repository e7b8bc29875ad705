#include "diffusion/sd_generator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "diffusion/guidance.hpp"
#include "diffusion/img2img.hpp"
#include "diffusion/sampler_name.hpp"
#include "diffusion/scheduler.hpp"
#include "diffusion/timestep_embedding.hpp"
#include "io/image_resize.hpp"
#include "util/error.hpp"

namespace facet::diffusion {

namespace {

using pipeline::PipelineSpec;
using pipeline::port_ref;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

pipeline::InputSpec input(const std::string& id, const HostTensor& t) {
  pipeline::InputSpec in;
  in.id = id;
  in.tensor = std::make_shared<const HostTensor>(t);
  return in;
}

pipeline::StageSpec stage(const std::string& id, const std::string& plugin, const std::string& component,
                          const std::string& weights, std::vector<std::pair<std::string, std::string>> inputs) {
  pipeline::StageSpec st;
  st.id = id;
  st.plugin = plugin;
  st.component = component;
  st.weights = weights;
  for (const auto& [port, from] : inputs) st.inputs.push_back({port, {port_ref(from)}});
  return st;
}

std::string shape_key(const TensorDesc& d) { return d.str(); }

}  // namespace

SdGenerator::SdGenerator(SdModel model, plugin::PluginRegistry& registry, vk::Context& ctx, Executor& executor)
    : model_(std::move(model)), tokenizer_(text::ClipTokenizer::open(model_.tokenizer)), registry_(registry), ctx_(ctx),
      executor_(executor) {}

SdGenerator::~SdGenerator() = default;

pipeline::Pipeline& SdGenerator::pipeline(const std::string& key, const std::function<PipelineSpec()>& make) {
  auto it = pipelines_.find(key);
  if (it != pipelines_.end()) return *it->second;
  PipelineSpec spec = make();
  spec.path = model_.root;
  spec.schema_version = pipeline::kSchemaVersion;
  return *pipelines_.emplace(key, pipeline::Pipeline::load(spec, registry_)).first->second;
}

std::vector<int32_t> SdGenerator::tokens(const std::string& text) const { return tokenizer_.encode_padded(text); }

HostTensor SdGenerator::encode_text(const std::string& text) {
  const HostTensor ids = HostTensor::from_i32(tokens(text));
  auto& p = pipeline("text", [&] {
    PipelineSpec s;
    s.inputs.push_back(input("ids", ids));
    auto st = stage("text", "encoder_clip", "text", model_.text_encoder, {{"ids", "ids"}});
    st.params.push_back({"output", std::string(model_.penultimate ? "hidden:-2" : "last_hidden_state"), {}});
    if (model_.penultimate) st.params.push_back({"final_norm", true, {}});
    s.stages.push_back(st);
    s.outputs = {port_ref("text.y")};
    return s;
  });
  return p.run(ctx_, executor_, {{"ids", ids}}).at("text.y");
}

HostTensor SdGenerator::t_proj(double t) const {
  return HostTensor::from_f32(TensorDesc(DType::F32, {1, model_.time_dim}),
                              timestep_projection(t, model_.time_dim, model_.flip_sin_to_cos, model_.freq_shift));
}

HostTensor SdGenerator::unet(const HostTensor& latents, double t, const HostTensor& text) {
  const HostTensor tp = t_proj(t);
  auto& p = pipeline("unet " + shape_key(latents.desc) + " " + shape_key(text.desc), [&] {
    PipelineSpec s;
    s.inputs = {input("latents", latents), input("t_proj", tp), input("text", text)};
    s.stages.push_back(stage("unet", "gen_sd", "unet", model_.unet_weights,
                             {{"latents", "latents"}, {"t_proj", "t_proj"}, {"text", "text"}}));
    s.outputs = {port_ref("unet.y")};
    return s;
  });
  return p.run(ctx_, executor_, {{"latents", latents}, {"t_proj", tp}, {"text", text}}).at("unet.y");
}

HostTensor SdGenerator::unet_guided(const HostTensor& latents, double t, const HostTensor& uncond, const HostTensor& cond,
                                    double cfg) {
  const HostTensor tp = t_proj(t);
  auto& p = pipeline("unet_pair " + shape_key(latents.desc) + " " + shape_key(cond.desc), [&] {
    PipelineSpec s;
    s.inputs = {input("latents", latents), input("t_proj", tp), input("uncond", uncond), input("cond", cond)};
    for (const char* pass : {"uncond", "cond"})
      s.stages.push_back(stage(std::string("unet_") + pass, "gen_sd", "unet", model_.unet_weights,
                               {{"latents", "latents"}, {"t_proj", "t_proj"}, {"text", pass}}));
    s.outputs = {port_ref("unet_uncond.y"), port_ref("unet_cond.y")};
    return s;
  });
  auto out = p.run(ctx_, executor_, {{"latents", latents}, {"t_proj", tp}, {"uncond", uncond}, {"cond", cond}});
  const std::vector<float> u = out.at("unet_uncond.y").to_f32(), c = out.at("unet_cond.y").to_f32();
  return HostTensor::from_f32(out.at("unet_cond.y").desc, guidance_mix(u, c, static_cast<float>(cfg)));
}

HostTensor SdGenerator::vae(const std::string& component, const std::string& port, const HostTensor& x) {
  auto& p = pipeline(component + " " + shape_key(x.desc), [&] {
    PipelineSpec s;
    s.inputs = {input(port, x)};
    s.stages.push_back(stage("vae", "gen_sd", component, model_.vae_weights, {{port, port}}));
    s.outputs = {port_ref("vae.y")};
    return s;
  });
  return p.run(ctx_, executor_, {{port, x}}).at("vae.y");
}

HostTensor SdGenerator::decode(const HostTensor& latents) { return vae("vae_decoder", "latents", latents); }

HostTensor SdGenerator::encode(const HostTensor& pixels) { return vae("vae_encoder", "pixels", pixels); }

Txt2ImgResult SdGenerator::txt2img(const Txt2ImgOptions& o) {
  Txt2ImgResult r;
  const int64_t align = model_.size_step();
  const bool img2img = o.init_image.has_value();
  const int64_t default_w = img2img ? o.init_image->width / align * align : model_.sample_size * model_.vae_factor;
  const int64_t default_h = img2img ? o.init_image->height / align * align : model_.sample_size * model_.vae_factor;
  r.width = o.width ? o.width : default_w;
  r.height = o.height ? o.height : default_h;
  if (r.width % align != 0 || r.height % align != 0 || r.width < align || r.height < align)
    throw InputError((img2img && !o.width && !o.height ? "the init image must be at least " + std::to_string(align) + " pixels a side; "
                                                       : std::string()) +
                     "--width and --height must be positive multiples of " + std::to_string(align) + " (the VAE's " +
                     std::to_string(model_.vae_factor) + " pixels per latent x the UNet's " + std::to_string(model_.unet_factor) +
                     " latents per bottom cell), got " +
                     std::to_string(r.width) + "x" + std::to_string(r.height));
  if (r.width > 4096 || r.height > 4096) throw InputError("--width and --height above 4096 are not supported");
  const int64_t c = model_.latent_channels, h = r.height / model_.vae_factor, w = r.width / model_.vae_factor;
  if (o.steps < 1 || o.steps > 1000) throw UsageError("--steps must be in 1..1000");
  auto sched = make_scheduler(sampler_config(o.sampler, model_.scheduler_config, model_.scheduler_config_path),
                              static_cast<int>(o.steps));
  const size_t first = img2img ? img2img_first_call(*sched, o.strength) : 0;
  GaussianNoise seeded(o.seed);
  const TensorDesc latent_desc(DType::F32, {c, h, w});
  auto draw = [&](const std::optional<HostTensor>& given, const char* flag) {
    std::vector<float> v(static_cast<size_t>(c * h * w));
    if (given) v = noise_tensor(*given, c, h, w, flag).to_f32();
    else seeded.fill(v);
    return v;
  };

  auto t0 = std::chrono::steady_clock::now();
  std::vector<float> x;
  if (img2img) {
    io::RgbImage picture = *o.init_image;
    if (picture.width != r.width || picture.height != r.height)
      picture = io::resize_like_pil(picture, r.width, r.height, io::ResampleFilter::Lanczos);
    const std::vector<float> moments = encode(from_rgb(picture)).to_f32();  // mean, then logvar
    const std::vector<float> sample = draw(o.sample_noise, "the posterior noise");
    const std::vector<float> noise = draw(o.noise, "--noise-in");
    const size_t n = sample.size();
    if (moments.size() != 2 * n) throw InternalError("the VAE encoder gave " + std::to_string(moments.size()) + " values, not 2 x " + std::to_string(n));
    std::vector<float> x0(n);
    const float scale = static_cast<float>(model_.scaling_factor);
    for (size_t i = 0; i < n; ++i) {
      const float logvar = std::clamp(moments[n + i], -30.0f, 20.0f);  // DiagonalGaussianDistribution
      x0[i] = scale * (moments[i] + std::exp(0.5f * logvar) * sample[i]);
    }
    x = sched->add_noise(x0, noise, first);
    r.vae_encode_ms = ms_since(t0);
  } else {
    x = draw(o.noise, "--noise-in");
    for (float& v : x) v *= sched->init_noise_sigma();
  }

  auto tt = std::chrono::steady_clock::now();
  const bool guided = o.cfg_scale > 1.0;
  const HostTensor cond = encode_text(o.prompt);
  const HostTensor uncond = guided ? encode_text(o.negative_prompt) : HostTensor{};
  r.text_ms = ms_since(tt);

  sched->begin(first);
  const auto& all = sched->timesteps();
  for (size_t i = first; i < all.size(); ++i) {
    auto ts = std::chrono::steady_clock::now();
    const double t = all[i];
    r.timesteps.push_back(t);
    const HostTensor input = HostTensor::from_f32(latent_desc, sched->scale_model_input(x, i));
    const HostTensor out = guided ? unet_guided(input, t, uncond, cond, o.cfg_scale) : unet(input, t, cond);
    x = sched->step(out.to_f32(), i, x, o.step_noise ? o.step_noise : &seeded);
    const double ms = ms_since(ts);
    r.unet_ms += ms;
    r.step_ms.push_back(ms);
    if (o.progress) o.progress(i - first, all.size() - first, t, ms);
  }
  r.latents = HostTensor::from_f32(latent_desc, x);

  auto tv = std::chrono::steady_clock::now();
  std::vector<float> z = x;
  const float inv = static_cast<float>(1.0 / model_.scaling_factor);
  for (float& v : z) v *= inv;
  r.image = to_rgb(decode(HostTensor::from_f32(latent_desc, z)));
  r.vae_ms = ms_since(tv);
  return r;
}

HostTensor from_rgb(const io::RgbImage& image) {
  const size_t plane = static_cast<size_t>(image.width * image.height);
  std::vector<float> v(plane * 3);
  for (size_t ch = 0; ch < 3; ++ch)
    for (size_t i = 0; i < plane; ++i) v[ch * plane + i] = 2.0f * (static_cast<float>(image.pixels[i * 3 + ch]) / 255.0f) - 1.0f;
  return HostTensor::from_f32(TensorDesc(DType::F32, {3, image.height, image.width}), v);
}

io::RgbImage to_rgb(const HostTensor& image) {
  const TensorDesc& d = image.desc;
  if (d.rank != 3 || d.dims[0] != 3) throw InputError("the decoded image must be f32 [3, H, W], got " + d.str());
  const std::vector<float> v = image.to_f32();
  io::RgbImage out;
  out.height = d.dims[1];
  out.width = d.dims[2];
  const size_t plane = static_cast<size_t>(out.width * out.height);
  out.pixels.resize(plane * 3);
  for (size_t ch = 0; ch < 3; ++ch)
    for (size_t i = 0; i < plane; ++i) {
      const float y = std::clamp(v[ch * plane + i] / 2.0f + 0.5f, 0.0f, 1.0f) * 255.0f;
      out.pixels[i * 3 + ch] = static_cast<uint8_t>(std::nearbyint(y));
    }
  return out;
}

HostTensor noise_tensor(const HostTensor& noise, int64_t c, int64_t h, int64_t w, const std::string& where) {
  const TensorDesc& d = noise.desc;
  const bool plain = d.rank == 3 && d.dims[0] == c && d.dims[1] == h && d.dims[2] == w;
  const bool batched = d.rank == 4 && d.dims[0] == 1 && d.dims[1] == c && d.dims[2] == h && d.dims[3] == w;
  if (d.dtype != DType::F32 || (!plain && !batched))
    throw InputError(where + ": the noise is " + d.str() + " but this run needs f32 [" + std::to_string(c) + ", " +
                     std::to_string(h) + ", " + std::to_string(w) + "] (or [1, " + std::to_string(c) + ", " + std::to_string(h) +
                     ", " + std::to_string(w) + "])");
  return HostTensor::from_f32(TensorDesc(DType::F32, {c, h, w}), noise.to_f32());
}

}  // namespace facet::diffusion
