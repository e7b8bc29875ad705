// The CLIP and DINOv2 plugins on tiny random checkpoints in Hugging Face layouts (written by
// tests/models/gen_vision_models.py) against PyTorch reference goldens: image file -> the folder's
// image processor -> the encoder pipeline built from config.json -> every output kind.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "graph/executor.hpp"
#include "io/image.hpp"
#include "io/npy.hpp"
#include "pipeline/model_folder.hpp"
#include "pipeline/pipeline.hpp"
#include "plugin/registry.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";

class VisionModels : public VkTest {
 protected:
  HostTensor embed(const std::string& model, const std::string& image, const std::string& output,
                   const std::string& tokens = "all", bool debug = false) {
    auto folder = pipeline::ModelFolder::open(kModels + "/" + model);
    auto pixels = std::make_shared<const HostTensor>(
        io::preprocess_image(io::load_image(kModels + "/images/" + image), folder.image_processor()));
    return run(pipeline::vision_pipeline(folder, pixels, output, tokens), debug);
  }
  HostTensor run(pipeline::PipelineSpec spec, bool debug = false) {
    spec.runtime.plugin_paths = {FACET_PLUGIN_DIR};
    plugin::PluginRegistry r(spec.runtime.plugin_paths);
    auto p = pipeline::Pipeline::load(spec, r);
    Executor ex(ctx(), ExecOptions{debug, 1e-8});
    auto out = p->run(ctx(), ex);
    if (debug) {
      EXPECT_GT(ex.last_stats().nodes_checked, 50u);
      EXPECT_FALSE(ex.last_stats().mismatch.has_value()) << ex.last_stats().mismatch->node;
    }
    return out.at("encoder.y");
  }
};

// Largest |got - want| relative to max |want|.
double rel_error(const HostTensor& got, const HostTensor& want) {
  EXPECT_EQ(got.desc, want.desc);
  return test::rel_error(got.to_f32(), want.to_f32());
}

struct Case {
  const char* model;
  const char* output;  // --output
  const char* golden;  // file suffix
};

TEST_F(VisionModels, EveryOutputMatchesThePyTorchReference) {
  const Case cases[] = {
      {"clip_tiny", "embeds", "embeds"},           {"clip_tiny", "last_hidden_state", "last_hidden_state"},
      {"clip_tiny", "hidden:0", "hidden_0"},       {"clip_tiny", "hidden:-2", "hidden_2"},
      {"clip_vision_f16", "embeds", "embeds"},     {"clip_vision_f16", "hidden:1", "hidden_1"},
      {"dinov2_tiny", "embeds", "embeds"},         {"dinov2_tiny", "last_hidden_state", "last_hidden_state"},
      {"dinov2_tiny", "hidden:-1", "hidden_3"},    {"dinov2_tiny", "hidden:1", "hidden_1"},
      {"dinov2_reg_bf16", "embeds", "embeds"},     {"dinov2_reg_bf16", "last_hidden_state", "last_hidden_state"},
      {"dinov2_reg_bf16", "hidden:2", "hidden_2"},
  };
  for (const char* image : {"rgb_37x23.png", "photo_50x33.jpg", "exif6_40x24.jpg"})
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(c.model) + " " + image + " " + c.output);
      HostTensor want = io::read_npy(kModels + "/goldens/" + c.model + "/" + image + "." + c.golden + ".npy");
      // Measured: 2e-7 .. 5e-7 (f32 rounding); the weights in the file are what both sides use.
      EXPECT_LT(rel_error(embed(c.model, image, c.output), want), 2e-6);
    }
}

TEST_F(VisionModels, PatchTokensDropClsAndRegisters) {
  // LLaVA's CLIP features (layer -2 without CLS) and the MoF adapters' DINOv2 features (pre-norm
  // patch tokens, registers dropped).
  for (auto [model, output, golden, prefix] : {std::tuple{"clip_tiny", "hidden:-2", "hidden_2", 1},
                                               std::tuple{"dinov2_reg_bf16", "hidden:-1", "hidden_2", 5}}) {
    SCOPED_TRACE(model);
    HostTensor all = io::read_npy(kModels + "/goldens/" + std::string(model) + "/rgb_37x23.png." + golden + ".npy");
    const int64_t t = all.desc.dims[0], d = all.desc.dims[1];
    std::vector<float> v = all.to_f32();
    HostTensor want = HostTensor::from_f32(TensorDesc(DType::F32, {t - prefix, d}), std::vector<float>(v.begin() + prefix * d, v.end()));
    EXPECT_LT(rel_error(embed(model, "rgb_37x23.png", output, "patch"), want), 2e-6);
  }
}

TEST_F(VisionModels, DebugModeChecksEveryNodeOfAWholeModel) {
  HostTensor y = embed("dinov2_reg_bf16", "rgb_37x23.png", "embeds", "all", /*debug=*/true);
  EXPECT_EQ(y.desc, TensorDesc(DType::F32, {1, 48}));
}

TEST_F(VisionModels, ClipTextTowerMatchesThePyTorchReference) {
  // tests/models/goldens/clip_tiny/texts.json: id sequences with EOS at the end, EOS padding
  // (pooled at the first EOS), no EOS (pooled at 0) and 16 tokens (every position); and strings,
  // whose ids transformers.js's tokenizer gave, tokenized here by the folder's tokenizer.json.
  std::ifstream f(kModels + "/goldens/clip_tiny/texts.json");
  const nlohmann::json texts = nlohmann::json::parse(f);
  auto folder = pipeline::ModelFolder::open(kModels + "/clip_tiny");
  const text::Tokenizer tokenizer = folder.tokenizer();
  std::map<std::string, std::vector<int32_t>> cases;
  for (const auto& [name, ids] : texts["ids"].items()) cases[name] = ids.get<std::vector<int32_t>>();
  for (const auto& [name, s] : texts["strings"].items()) {
    cases[name] = tokenizer.encode(s["text"].get<std::string>());
    EXPECT_EQ(cases[name], s["ids"].get<std::vector<int32_t>>()) << name;
  }
  ASSERT_EQ(cases.size(), 7u);
  for (const auto& [name, ids] : cases)
    for (const char* output : {"embeds", "pooled", "last_hidden_state", "hidden:1"}) {
      SCOPED_TRACE(name + " " + output);
      auto t = std::make_shared<const HostTensor>(HostTensor::from_f32(
          TensorDesc(DType::I32, {static_cast<int64_t>(ids.size())}), std::vector<float>(ids.begin(), ids.end())));
      HostTensor got = run(pipeline::one_stage_pipeline(folder, "encoder_clip", "text", "ids", t, {{"output", output}}));
      std::string golden = std::string(output) == "hidden:1" ? "hidden_1" : output;
      HostTensor want = io::read_npy(kModels + "/goldens/clip_tiny/text." + name + "." + golden + ".npy");
      EXPECT_LT(rel_error(got, want), 2e-6);
    }
  // More tokens than max_position_embeddings (16): a clear error before any GPU work.
  auto long_ids = std::make_shared<const HostTensor>(HostTensor::from_f32(TensorDesc(DType::I32, {17}), std::vector<float>(17, 5)));
  try {
    run(pipeline::one_stage_pipeline(folder, "encoder_clip", "text", "ids", long_ids, {{"output", "embeds"}}));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("17 tokens; this CLIP text tower takes 1..16"), std::string::npos) << e.what();
  }
}

TEST_F(VisionModels, BadRequestsAreInputErrorsNamingTheProblem) {
  auto error_of = [&](const std::string& model, const std::string& output, const std::string& tokens, int64_t side) {
    auto folder = pipeline::ModelFolder::open(kModels + "/" + model);
    auto pixels = std::make_shared<const HostTensor>(
        HostTensor::from_f32(TensorDesc(DType::F32, {3, side, side}), std::vector<float>(static_cast<size_t>(3 * side * side))));
    try {
      run(pipeline::vision_pipeline(folder, pixels, output, tokens));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(error_of("clip_tiny", "embeds", "all", 28).find("takes 30x30"), std::string::npos);
  EXPECT_NE(error_of("clip_tiny", "hidden:4", "all", 30).find("outside the 4 hidden states"), std::string::npos);
  EXPECT_NE(error_of("clip_tiny", "logits", "all", 30).find("'logits'"), std::string::npos);
  EXPECT_NE(error_of("clip_tiny", "embeds", "patch", 30).find("tokens applies to hidden states"), std::string::npos);
  EXPECT_NE(error_of("dinov2_tiny", "embeds", "all", 5).find("smaller than one 7-pixel patch"), std::string::npos);
  EXPECT_THROW(pipeline::ModelFolder::open(kModels + "/images"), InputError);  // no config.json
}

}  // namespace
}  // namespace facet::test
