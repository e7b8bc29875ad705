// Stable Diffusion (gen_sd + encoder_clip + core/diffusion) on the tiny sd_tiny checkpoint against
// the PyTorch reference goldens of tests/models/sd_ref.py (tests/models/goldens/sd_tiny/README.md):
// tokens, text states, the UNet at integer and fractional timesteps, the VAE decoder and encoder,
// and whole txt2img runs from the golden noise.
#include <gtest/gtest.h>

#include <fstream>
#include <span>

#include <nlohmann/json.hpp>

#include "diffusion/sd_generator.hpp"
#include "diffusion/timestep_embedding.hpp"
#include "io/image.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

const std::string kModel = std::string(FACET_SOURCE_DIR) + "/tests/models/sd_tiny";
const std::string kGold = std::string(FACET_SOURCE_DIR) + "/tests/models/goldens/sd_tiny/";
// SD 2.x form: v_prediction, use_linear_projection, heads per level [2, 3], f16 tensors, pad "!".
const std::string kModel2 = std::string(FACET_SOURCE_DIR) + "/tests/models/sd2_tiny";
const std::string kGold2 = std::string(FACET_SOURCE_DIR) + "/tests/models/goldens/sd2_tiny/";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

HostTensor gold(const std::string& name, const std::string& dir = kGold) { return io::read_npy(dir + name); }

// A uint8 NPY's data (io::read_npy takes float and int32 arrays only): its last `n` bytes.
std::vector<uint8_t> gold_u8(const std::string& name, size_t n, const std::string& dir) {
  std::ifstream in(dir + name, std::ios::binary);
  std::vector<uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string head(all.begin(), all.begin() + std::min<size_t>(all.size(), 128));
  EXPECT_NE(head.find("|u1"), std::string::npos) << name;
  if (all.size() < n) return {};
  return std::vector<uint8_t>(all.end() - static_cast<std::ptrdiff_t>(n), all.end());
}

// Largest |got - want| over max |want|.
double rel(const HostTensor& got, const HostTensor& want) {
  EXPECT_EQ(got.desc.elements(), want.desc.elements());
  return rel_error(got.to_f32(), want.to_f32());
}

class SdModels : public VkTest {
 protected:
  void SetUp() override {
    VkTest::SetUp();
    registry_ = std::make_unique<plugin::PluginRegistry>(std::vector<std::string>{FACET_PLUGIN_DIR});
    executor_ = std::make_unique<Executor>(ctx(), ExecOptions{});
    gen_ = std::make_unique<diffusion::SdGenerator>(diffusion::SdModel::open(model()), *registry_, ctx(), *executor_);
  }
  virtual std::string model() const { return kModel; }
  void TearDown() override {
    gen_.reset();
    executor_.reset();
    registry_.reset();
    VkTest::TearDown();
  }
  std::unique_ptr<plugin::PluginRegistry> registry_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<diffusion::SdGenerator> gen_;
};

TEST(SdTokens, DiffusersVocabFilesGiveTheReferenceIds) {
  const auto tok = text::ClipTokenizer::open(kModel + "/tokenizer");
  const auto want = read_json(kGold + "tokens.json");
  const auto cases = read_json(kGold + "cases.json");
  EXPECT_EQ(tok.encode_padded(cases["prompt"].get<std::string>()), want["prompt_ids"].get<std::vector<int32_t>>());
  EXPECT_EQ(tok.encode_padded(cases["negative_prompt"].get<std::string>()), want["negative_ids"].get<std::vector<int32_t>>());
  EXPECT_EQ(tok.encode_padded("").size(), 77u);
  // Overlong text keeps BOS .. EOS within 77 positions.
  std::string longer;
  for (int i = 0; i < 100; ++i) longer += "car ";
  const auto ids = tok.encode_padded(longer);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), tok.bos);
  EXPECT_EQ(ids.back(), tok.eos);
}

TEST(SdTimestep, ProjectionMatchesTimeProj) {
  const HostTensor want = gold("timestep.proj.npy");  // f32 [2, 16] for t = 1, 999
  std::vector<float> got = diffusion::timestep_projection(1, 16, true, 0);
  const auto t999 = diffusion::timestep_projection(999, 16, true, 0);
  got.insert(got.end(), t999.begin(), t999.end());
  EXPECT_LT(rel_error(got, want.to_f32()), 1e-6);
}

TEST_F(SdModels, TextStatesMatchTheReference) {
  EXPECT_LT(rel(gen_->encode_text("a photo of a red car"), gold("text.prompt.last_hidden_state.npy")), 2e-6);
  EXPECT_LT(rel(gen_->encode_text("blurry, low quality, watermark"), gold("text.negative.last_hidden_state.npy")), 2e-6);
}

TEST_F(SdModels, ClipSkipIsThePenultimateLayerThroughTheFinalNorm) {
  // encoder_clip's text tower with output hidden:-2 and final_norm, as SD 2.x single files use it.
  pipeline::PipelineSpec spec;
  spec.path = kModel;
  spec.schema_version = pipeline::kSchemaVersion;
  pipeline::InputSpec in;
  in.id = "ids";
  in.tensor = std::make_shared<const HostTensor>(HostTensor::from_i32(gen_->tokens("a photo of a red car")));
  spec.inputs.push_back(in);
  pipeline::StageSpec st;
  st.id = "text";
  st.plugin = "encoder_clip";
  st.component = "text";
  st.weights = kModel + "/text_encoder";
  st.params = {{"output", std::string("hidden:-2"), {}}, {"final_norm", true, {}}};
  st.inputs = {{"ids", {pipeline::port_ref("ids")}}};
  spec.stages.push_back(st);
  spec.outputs = {pipeline::port_ref("text.y")};
  auto p = pipeline::Pipeline::load(spec, *registry_);
  const HostTensor got = p->run(ctx(), *executor_).at("text.y");
  EXPECT_LT(rel(got, gold("text.prompt.penultimate.npy")), 2e-6);
  EXPECT_GT(rel(got, gold("text.prompt.last_hidden_state.npy")), 1e-2);
}

TEST_F(SdModels, UnetMatchesTheReferenceAtIntegerAndFractionalTimesteps) {
  const HostTensor noise = gold("noise.npy"), text = gold("text.prompt.last_hidden_state.npy");
  const double e999 = rel(gen_->unet(noise, 999, text), gold("unet.t999.npy"));
  const double e500 = rel(gen_->unet(noise, 500.5, text), gold("unet.t500_5.npy"));
  std::printf("unet rel error: t=999 %.3g, t=500.5 %.3g\n", e999, e500);
  EXPECT_LT(e999, 1e-4);
  EXPECT_LT(e500, 1e-4);
  // A different timestep gives a different output (the time embedding reaches the blocks).
  EXPECT_GT(rel(gen_->unet(noise, 999, text), gold("unet.t500_5.npy")), 1e-3);
}

TEST_F(SdModels, VaeDecoderMatchesTheReference) {
  const double e = rel(gen_->decode(gold("vae.decode.in.npy")), gold("vae.decode.out.npy"));
  std::printf("vae decode rel error %.3g\n", e);
  EXPECT_LT(e, 1e-4);
}

TEST_F(SdModels, VaeEncoderMatchesTheReference) {
  const HostTensor moments = gen_->encode(diffusion::from_rgb(io::load_image(kGold + "image.png")));  // f32 [8, 8, 8]
  ASSERT_EQ(moments.desc, TensorDesc(DType::F32, {8, 8, 8}));
  const std::vector<float> m = moments.to_f32();
  std::vector<float> mean(m.begin(), m.begin() + 256), logvar(m.begin() + 256, m.end());
  for (float& v : logvar) v = std::clamp(v, -30.0f, 20.0f);
  const double em = rel_error(mean, gold("vae.encode.mean.npy").to_f32());
  const double el = rel_error(logvar, gold("vae.encode.logvar.npy").to_f32());
  std::printf("vae encode rel error: mean %.3g, logvar %.3g\n", em, el);
  EXPECT_LT(em, 1e-4);
  EXPECT_LT(el, 1e-4);
}

// The reference's per-step draws (step_noise.npy [6, 4, 8, 8]), handed out in order.
class ReplayNoise : public diffusion::NoiseSource {
 public:
  explicit ReplayNoise(std::vector<float> draws) : draws_(std::move(draws)) {}
  void fill(std::span<float> out) override {
    ASSERT_LE(next_ + out.size(), draws_.size());
    std::copy(draws_.begin() + static_cast<std::ptrdiff_t>(next_), draws_.begin() + static_cast<std::ptrdiff_t>(next_ + out.size()), out.begin());
    next_ += out.size();
  }
  size_t used() const { return next_; }

 private:
  std::vector<float> draws_;
  size_t next_ = 0;
};

// A whole run from the golden noise: final latents (relative: they reach ~65) and the image
// within +-2 per channel.
void expect_run(diffusion::SdGenerator& gen, const std::string& run, const std::string& dir = kGold) {
  SCOPED_TRACE(dir + run);
  const auto cases = read_json(dir + "cases.json");
  const auto& c = cases["txt2img"][run];
  diffusion::Txt2ImgOptions o;
  o.prompt = cases["prompt"].get<std::string>();
  o.negative_prompt = cases["negative_prompt"].get<std::string>();
  o.steps = c["steps"].get<int64_t>();
  o.cfg_scale = c["guidance_scale"].get<double>();
  o.sampler = run;
  o.noise = gold("noise.npy", dir);
  ReplayNoise draws(gold("step_noise.npy", dir).to_f32());
  o.step_noise = &draws;
  const auto r = gen.txt2img(o);
  EXPECT_EQ(draws.used() > 0, c["uses_step_noise"].get<bool>());
  std::vector<double> want_t;
  for (const auto& t : c["timesteps"]) want_t.push_back(t.get<double>());
  EXPECT_EQ(r.timesteps, want_t);
  const double e = rel(r.latents, gold("txt2img." + run + ".final.npy", dir));
  const auto want_img = gold_u8("txt2img." + run + ".image.npy", r.image.pixels.size(), dir);
  ASSERT_EQ(want_img.size(), size_t{64 * 64 * 3});
  int worst = 0;
  for (size_t i = 0; i < r.image.pixels.size(); ++i) worst = std::max(worst, std::abs(int(r.image.pixels[i]) - int(want_img[i])));
  std::printf("txt2img %s%s: final latents rel error %.3g, image max diff %d\n", dir == kGold2 ? "sd2 " : "", run.c_str(), e, worst);
  EXPECT_LT(e, 1e-4);
  EXPECT_LE(worst, 2);
}

TEST_F(SdModels, Txt2ImgMatchesTheReferenceForEverySampler) {
  for (const char* run : {"ddim", "pndm", "euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "lcm"}) expect_run(*gen_, run);
}

class Sd2Models : public SdModels {
 protected:
  std::string model() const override { return kModel2; }
};

TEST_F(Sd2Models, TokensAndTextStatesMatchTheReference) {
  const auto want = read_json(kGold2 + "tokens.json");
  EXPECT_EQ(gen_->tokens("blurry, low quality, watermark"), want["negative_ids"].get<std::vector<int32_t>>());
  EXPECT_LT(rel(gen_->encode_text("a photo of a red car"), gold("text.prompt.last_hidden_state.npy", kGold2)), 2e-6);
}

TEST_F(Sd2Models, Txt2ImgMatchesTheReferenceForEverySampler) {
  for (const char* run : {"ddim", "pndm", "euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "lcm"}) expect_run(*gen_, run, kGold2);
}

// img2img from the golden picture and draws: the timesteps run, the final latents and the image.
TEST_F(SdModels, Img2ImgMatchesTheReference) {
  const auto cases = read_json(kGold + "cases.json");
  for (const char* run : {"ddim", "euler"}) {
    SCOPED_TRACE(run);
    const auto& c = cases["img2img"][run];
    diffusion::Txt2ImgOptions o;
    o.prompt = cases["prompt"].get<std::string>();
    o.negative_prompt = cases["negative_prompt"].get<std::string>();
    o.steps = c["steps"].get<int64_t>();
    o.cfg_scale = c["guidance_scale"].get<double>();
    o.strength = c["strength"].get<double>();
    o.sampler = run;
    o.init_image = io::load_image(kGold + c["init_image"].get<std::string>());
    o.sample_noise = gold("img2img.sample_noise.npy");
    o.noise = gold("img2img.noise.npy");
    const auto r = gen_->txt2img(o);
    EXPECT_EQ(r.timesteps, c["timesteps"].get<std::vector<double>>());
    const double e = rel(r.latents, gold(std::string("img2img.") + run + ".final.npy"));
    const auto want_img = gold_u8(std::string("img2img.") + run + ".image.npy", r.image.pixels.size(), kGold);
    ASSERT_EQ(want_img.size(), r.image.pixels.size());
    int worst = 0;
    for (size_t i = 0; i < r.image.pixels.size(); ++i) worst = std::max(worst, std::abs(int(r.image.pixels[i]) - int(want_img[i])));
    std::printf("img2img %s: final latents rel error %.3g, image max diff %d\n", run, e, worst);
    EXPECT_LT(e, 1e-4);
    EXPECT_LE(worst, 2);
  }
  // Strength that leaves no step, and a picture smaller than one latent, are input errors.
  diffusion::Txt2ImgOptions bad;
  bad.prompt = "x";
  bad.steps = 2;
  bad.strength = 0.2;
  bad.init_image = io::load_image(kGold + "image.png");
  EXPECT_THROW(gen_->txt2img(bad), InputError);
  bad.strength = 0.5;
  bad.init_image->width = 4;
  bad.init_image->height = 4;
  bad.init_image->pixels.resize(4 * 4 * 3);
  EXPECT_THROW(gen_->txt2img(bad), InputError);
}

// A single-file checkpoint runs the folder's graphs on the same bytes: identical latents and image.
void expect_single_file_is_the_folder(diffusion::SdGenerator& folder, const std::string& file, const std::string& tokenizer,
                                      plugin::PluginRegistry& registry, vk::Context& ctx, Executor& executor) {
  SCOPED_TRACE(file);
  diffusion::SdGenerator single(diffusion::SdModel::open(file, tokenizer), registry, ctx, executor);
  for (const char* sampler : {"euler", "dpmpp_2m"}) {
    diffusion::Txt2ImgOptions o;
    o.prompt = "a photo of a red car";
    o.negative_prompt = "blurry";
    o.steps = 3;
    o.seed = 11;
    o.sampler = sampler;
    const auto a = folder.txt2img(o), b = single.txt2img(o);
    EXPECT_EQ(a.latents.to_f32(), b.latents.to_f32()) << sampler;
    EXPECT_EQ(a.image.pixels, b.image.pixels) << sampler;
  }
}

TEST_F(SdModels, SingleFileGivesTheFolderImageBitForBit) {
  expect_single_file_is_the_folder(*gen_, kModel + ".safetensors", kModel + "/tokenizer", *registry_, ctx(), *executor_);
}

TEST_F(Sd2Models, SingleFileGivesTheFolderImageBitForBit) {
  expect_single_file_is_the_folder(*gen_, kModel2 + ".safetensors", kModel2 + "/tokenizer", *registry_, ctx(), *executor_);
}

TEST_F(SdModels, BadNoiseAndSizesAreInputErrors) {
  diffusion::Txt2ImgOptions o;
  o.prompt = "x";
  o.steps = 1;
  o.noise = HostTensor::from_f32(TensorDesc(DType::F32, {4, 8, 9}), std::vector<float>(4 * 8 * 9));
  EXPECT_THROW(gen_->txt2img(o), InputError);
  o.noise.reset();
  o.width = 60;
  EXPECT_THROW(gen_->txt2img(o), InputError);
}

}  // namespace
}  // namespace facet::test
