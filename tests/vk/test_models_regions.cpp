// Region inputs (GPT4RoI-style) on llava_tiny, against the PyTorch reference of
// tests/models/make_regions_tiny.py: boxes in original pixels mapped to the seen image, the
// region embeddings of grounding_regions (ROI-Align on the CLIP patch grid, projected) for a box
// inside the image, one across its top edge and one reaching into the crop band; a chat prompt
// with one image and two <region> markers (ids, last-prompt logits, 12 greedy tokens); errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "io/npy.hpp"
#include "llm/media_prompt.hpp"
#include "llm/sampler.hpp"
#include "llm/vlm_session.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/spec.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";
const std::string kGoldens = kModels + "/goldens/regions/";
const std::string kToml = std::string(FACET_SOURCE_DIR) + "/docs/pipelines/llava-1.5-regions.toml";

class RegionModels : public VkTest {
 protected:
  plugin::PluginRegistry registry{{FACET_PLUGIN_DIR}};
  nlohmann::json golden = nlohmann::json::parse(std::ifstream(kGoldens + "cases.json"));

  // The shipped pipeline on the tiny checkpoints, each (from, to) replaced in its text first; its
  // image_size (336, ViT-L/14-336) becomes the tiny tower's 30.
  static pipeline::PipelineSpec shipped(std::vector<std::pair<std::string, std::string>> edits = {}) {
    ::setenv("LLAVA_DIR", (kModels + "/llava_tiny").c_str(), 1);
    ::setenv("REGIONS_WEIGHTS", (kModels + "/regions_tiny.safetensors").c_str(), 1);
    std::ifstream f(kToml);
    std::string t((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    edits.insert(edits.begin(), {"image_size = 336", "image_size = 30"});
    for (const auto& [from, to] : edits) {
      const size_t at = t.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      if (at != std::string::npos) t.replace(at, from.size(), to);
    }
    return pipeline::parse_pipeline_text(t, kToml);
  }

  llm::Regions regions(std::initializer_list<size_t> which) const {
    llm::Regions r{50, 33, {}};  // photo_50x33.jpg
    for (size_t i : which) {
      const auto& b = golden["boxes"][i];
      r.boxes.push_back({b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>()});
    }
    return r;
  }

  // The vision and region stages alone, on the image's pixels and seen boxes: regions_roi.y.
  std::vector<float> region_rows(const pipeline::PipelineSpec& spec, const HostTensor& pixels, const HostTensor& boxes) {
    pipeline::PipelineSpec part = spec;
    part.inputs.clear();
    for (const auto& in : spec.inputs) {
      if (in.type != pipeline::InputType::Image && in.type != pipeline::InputType::Boxes) continue;
      part.inputs.push_back(in);
      part.inputs.back().type = pipeline::InputType::File;
      part.inputs.back().tensor = std::make_shared<const HostTensor>(in.type == pipeline::InputType::Image ? pixels : boxes);
    }
    part.stages.clear();
    for (const auto& st : spec.stages)
      if (st.id == "vision" || st.id == "regions_roi") part.stages.push_back(st);
    part.outputs = {pipeline::port_ref("regions_roi.y")};
    Executor ex(ctx());
    return pipeline::Pipeline::load(part, registry)->run(ctx(), ex).at("regions_roi.y").to_f32();
  }
};

TEST_F(RegionModels, RegionEmbeddingsMatchThePyTorchReference) {
  Executor ex(ctx());
  llm::VlmSession vlm(shipped(), registry, ctx(), ex);
  EXPECT_TRUE(vlm.takes_regions());
  EXPECT_EQ(vlm.rows_per_image(), 25);
  EXPECT_EQ(vlm.rows_per_region(), 1);
  // Original pixels -> the 30 x 30 the model saw (shortest edge 30: 45 x 30, 7 columns cropped).
  const HostTensor boxes = vlm.region_boxes(regions({0, 1, 2}));
  const std::vector<float> seen = boxes.to_f32();
  ASSERT_EQ(seen.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(seen[i], golden["boxes_seen"][i / 4][i % 4].get<double>(), 1e-5) << i;
  const HostTensor pixels = vlm.load_image(kModels + "/images/" + golden["image"].get<std::string>());

  const std::vector<float> want = io::read_npy(kGoldens + "regions.mlp2x_gelu.npy").to_f32();
  const std::vector<float> got = region_rows(shipped(), pixels, boxes);
  EXPECT_LT(rel_error(got, want), 2e-6);
  // projector = "linear": region_proj.0 alone.
  EXPECT_LT(rel_error(region_rows(shipped({{"projector = \"mlp2x_gelu\"", "projector = \"linear\""}}), pixels, boxes),
                      io::read_npy(kGoldens + "regions.linear.npy").to_f32()),
            2e-6);
  // The same grid from all 26 tokens with cls = 1.
  EXPECT_LT(rel_error(region_rows(shipped({{"tokens = \"patch\"", "tokens = \"all\""}, {"pool = 2", "pool = 2, cls = 1"}}),
                                  pixels, boxes),
                      want),
            2e-6);
  // One bin per side pools 32 features where region_proj.0 takes 128.
  EXPECT_THROW(region_rows(shipped({{"pool = 2", "pool = 1"}}), pixels, boxes), InputError);
}

TEST_F(RegionModels, PromptWithTwoRegionsMatchesThePyTorchReference) {
  Executor ex(ctx());
  llm::VlmSession vlm(shipped(), registry, ctx(), ex, llm::SessionOptions{0, 64, "f32"});
  llm::MediaPromptOptions mo;
  mo.chat = vlm.chat_template();
  mo.images = 1;
  mo.rows_per_image = vlm.rows_per_image();
  mo.regions = 2;
  mo.rows_per_region = vlm.rows_per_region();
  const llm::MediaPrompt prompt = llm::encode_media_prompt(vlm.tokenizer(), golden["message"].get<std::string>(), mo);
  EXPECT_EQ(prompt.ids, golden["ids"].get<std::vector<int32_t>>());
  const HostTensor pixels = vlm.load_image(kModels + "/images/" + golden["image"].get<std::string>());
  std::vector<float> logits = vlm.prefill(prompt.ids, {pixels}, prompt.instruction, regions({0, 2}));
  EXPECT_LT(rel_error(logits, io::read_npy(kGoldens + golden["logits"].get<std::string>()).to_f32()), 1e-5);
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < golden["greedy"].size(); ++i) {
    tokens.push_back(llm::argmax(logits));
    logits = vlm.llm().feed({tokens.back()});
  }
  EXPECT_EQ(tokens, golden["greedy"].get<std::vector<int32_t>>());
  EXPECT_GT(golden["min_margin"].get<double>(), 1e-3);

  // Without regions the region stage is left out: llava-1.5's own golden.
  const nlohmann::json llava = nlohmann::json::parse(std::ifstream(kModels + "/goldens/llava/llava_tiny/cases.json"))[0];
  mo.regions = 0;
  const llm::MediaPrompt plain = llm::encode_media_prompt(vlm.tokenizer(), llava["message"].get<std::string>(), mo);
  vlm.llm().reset();
  const HostTensor photo = vlm.load_image(kModels + "/images/" + llava["images"][0].get<std::string>());
  EXPECT_LT(rel_error(vlm.prefill(plain.ids, {photo}, plain.instruction),
                      io::read_npy(kModels + "/goldens/llava/llava_tiny/" + llava["logits"].get<std::string>()).to_f32()),
            1e-5);
}

TEST_F(RegionModels, MarkersBoxesAndGridsAreChecked) {
  Executor ex(ctx());
  llm::VlmSession vlm(shipped(), registry, ctx(), ex);
  llm::MediaPromptOptions mo{vlm.chat_template(), "", 1, vlm.rows_per_image(), 2, vlm.rows_per_region()};
  // Two regions for one marker, one region for two markers, a region marker with no region.
  EXPECT_THROW(llm::encode_media_prompt(vlm.tokenizer(), "What is in <region>?", mo), InputError);
  mo.regions = 1;
  EXPECT_THROW(llm::encode_media_prompt(vlm.tokenizer(), "<region> or <region>?", mo), InputError);
  mo.regions = 0;
  EXPECT_THROW(llm::encode_media_prompt(vlm.tokenizer(), "What is in <region>?", mo), InputError);
  // Without a boxes input "<region>" is text, and regions are refused.
  const llm::MediaPrompt text = llm::encode_media_prompt(vlm.tokenizer(), "What is in <region>?", {mo.chat, "", 1, 25});
  EXPECT_EQ(std::count_if(text.ids.begin(), text.ids.end(), [](int32_t id) { return id < 0; }), 25);
  EXPECT_THROW(llm::encode_media_prompt(vlm.tokenizer(), "<region>", {mo.chat, "", 1, 25, 1, 0}), InputError);

  const HostTensor px = vlm.load_image(kModels + "/images/photo_50x33.jpg");
  mo.regions = 1;
  const llm::MediaPrompt one = llm::encode_media_prompt(vlm.tokenizer(), "What is in <region>?", mo);
  auto refused = [&](llm::Regions r, const std::string& what) {
    try {
      vlm.prefill(one.ids, {px}, "", r);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  refused({50, 33, {{60, 5, 70, 20}}}, "lies outside the image (50 x 33 pixels)");
  refused({50, 33, {{1, 5, 6, 20}}}, "outside the part of the image the model sees");  // the left crop band
  refused({50, 33, {{30, 5, 20, 20}}}, "x1 < x2");
  EXPECT_THROW(vlm.prefill(one.ids, {}, "", regions({0})), InputError);  // regions need an image

  // 26 tokens (CLS kept, cls = 0) are no square grid: refused while validating, with the stage's line.
  try {
    llm::VlmSession bad(shipped({{"tokens = \"patch\"", "tokens = \"all\""}}), registry, ctx(), ex);
    ADD_FAILURE() << "accepted 26 tokens as a grid";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("llava-1.5-regions.toml:42:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("26 tokens, which is not a square grid"), std::string::npos) << e.what();
  }
}

TEST_F(RegionModels, GroundingTableIsParsedAndChecked) {
  EXPECT_EQ(shipped().grounding.format, "shikra");
  try {
    shipped({{"format = \"shikra\"", "format = \"boxes\""}});
    ADD_FAILURE() << "accepted format 'boxes'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("llava-1.5-regions.toml:61:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[grounding] format"), std::string::npos) << e.what();
  }
  EXPECT_THROW(shipped({{"format = \"shikra\"", "format = \"shikra\"\ndraw = true"}}), InputError);
}

}  // namespace
}  // namespace facet::test
