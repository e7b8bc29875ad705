// CLIP zero-shot scoring and MMVP-VLM on the tiny CLIP checkpoint against the PyTorch reference
// (tests/models/gen_vision_models.py: zero_shot.json, mmvp_vlm.json), plus malformed benchmark
// folders.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "eval/clip_zero_shot.hpp"
#include "eval/mmvp_vlm.hpp"
#include "support/safetensors_writer.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

namespace fs = std::filesystem;
const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";

nlohmann::json golden(const std::string& name) {
  std::ifstream f(kModels + "/goldens/clip_tiny/" + name);
  return nlohmann::json::parse(f);
}

class ClipZeroShot : public VkTest {
 protected:
  plugin::PluginRegistry registry{{FACET_PLUGIN_DIR}};
};

TEST_F(ClipZeroShot, LogitsAndProbabilitiesMatchTheReference) {
  Executor ex(ctx());
  eval::ClipScorer clip(pipeline::ModelFolder::open(kModels + "/clip_tiny"), registry, ctx(), ex);
  EXPECT_NEAR(clip.scale(), std::exp(2.6592f), 1e-4);
  const auto g = golden("zero_shot.json");
  std::vector<std::string> texts;
  for (const auto& l : g["labels"]) {
    std::string t = g["template"];
    texts.push_back(t.replace(t.find("{}"), 2, l.get<std::string>()));
  }
  const auto t = clip.texts(texts);
  int checked = 0;
  for (const auto& [image, want] : g["images"].items()) {
    const auto i = clip.images({kModels + "/images/" + image})[0];
    std::vector<float> logits;
    for (const auto& v : t) logits.push_back(clip.scale() * eval::dot(i, v));
    const auto probs = eval::softmax(logits);
    for (size_t k = 0; k < logits.size(); ++k) {
      EXPECT_NEAR(logits[k], want["logits"][k].get<float>(), 1e-5) << image << " " << texts[k];
      EXPECT_NEAR(probs[k], want["probs"][k].get<float>(), 1e-6) << image << " " << texts[k];
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9);
}

TEST_F(ClipZeroShot, MmvpVlmMatchesTheReference) {
  Executor ex(ctx());
  eval::ClipScorer clip(pipeline::ModelFolder::open(kModels + "/clip_tiny"), registry, ctx(), ex);
  auto pairs = eval::read_mmvp_vlm(kModels + "/mmvp_vlm");
  size_t calls = 0;
  eval::MmvpVlmResult r = eval::run_mmvp_vlm(pairs, clip, [&](size_t, size_t) { ++calls; });
  EXPECT_EQ(calls, 1u);
  const auto g = golden("mmvp_vlm.json");
  ASSERT_EQ(r.pairs.size(), g.size());
  int correct = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(r.pairs[i].qid1, g[i]["qid1"].get<int>());
    EXPECT_NEAR(r.pairs[i].prob1, g[i]["img1_prob1"].get<float>(), 1e-6);
    EXPECT_NEAR(r.pairs[i].prob2, g[i]["img1_prob2"].get<float>(), 1e-6);
    bool want = g[i]["img1_prob1"].get<float>() > 0.5f && g[i]["img1_prob2"].get<float>() <= 0.5f;
    EXPECT_EQ(r.pairs[i].correct(), want);
    correct += want;
  }
  ASSERT_EQ(r.patterns.size(), 2u);
  EXPECT_EQ(r.patterns[0].type, "Orientation and Direction");
  EXPECT_EQ(r.patterns[0].correct + r.patterns[1].correct, correct);
  EXPECT_GT(correct, 0);
  EXPECT_LT(correct, 4);
  EXPECT_NEAR(r.average(), (r.patterns[0].accuracy() + r.patterns[1].accuracy()) / 2, 1e-9);

  const fs::path out = fs::temp_directory_path() / "facet_mmvp_vlm_test";
  fs::create_directories(out);
  eval::write_mmvp_vlm_csv({{"tiny <clip>", r}}, (out / "r.csv").string());
  eval::write_mmvp_vlm_svg({{"tiny <clip>", r}}, (out / "r.svg").string());
  std::ifstream csv(out / "r.csv"), svg(out / "r.svg");
  std::string header, text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("type,qid1,qid2,", 0), 0u);
  EXPECT_NE(text.find("tiny &lt;clip&gt;"), std::string::npos);
  EXPECT_NE(text.find("Color and Appearance"), std::string::npos);
  EXPECT_NE(eval::mmvp_vlm_table({{"tiny", r}}).find("average"), std::string::npos);

  // Two models side by side: a model column in the CSV, a legend and one bar per model per pattern.
  eval::MmvpVlmResult other = r;
  other.patterns[0].correct = other.patterns[0].pairs;
  eval::write_mmvp_vlm_csv({{"a", r}, {"b", other}}, (out / "r2.csv").string());
  eval::write_mmvp_vlm_svg({{"a", r}, {"b", other}}, (out / "r2.svg").string());
  std::ifstream csv2(out / "r2.csv"), svg2(out / "r2.svg");
  std::string text2((std::istreambuf_iterator<char>(svg2)), std::istreambuf_iterator<char>());
  std::getline(csv2, header);
  EXPECT_EQ(header.rfind("model,type,qid1,", 0), 0u);
  size_t rows = 0;
  for (std::string line; std::getline(csv2, line);) ++rows;
  EXPECT_EQ(rows, 2 * r.pairs.size());
  size_t bars = 0;
  for (size_t at = text2.find("<rect x=\"260\""); at != std::string::npos; at = text2.find("<rect x=\"260\"", at + 1)) ++bars;
  EXPECT_EQ(bars, 2 * (r.patterns.size() + 1));  // every pattern and the average, twice
  EXPECT_NE(text2.find(">b</text>"), std::string::npos);
  const std::string table = eval::mmvp_vlm_table({{"a", r}, {"b", other}});
  EXPECT_NE(table.find("100.0%"), std::string::npos) << table;
  fs::remove_all(out);
}

// A logit_scale that is not a float scalar, or whose exp is not a finite positive scale, is an
// error naming the tensor, not NaN probabilities (issue 28, class 4).
TEST(ClipLogitScale, MustBeAFiniteFloat) {
  const fs::path d = fs::temp_directory_path() / "facet_clip_scale";
  fs::remove_all(d);
  fs::create_directories(d);
  fs::copy_file(kModels + "/clip_tiny/config.json", d / "config.json");
  auto scale_error = [&](const StTensor& t) -> std::string {
    write_file((d / "model.safetensors").string(), safetensors_bytes({t}));
    try {
      eval::clip_logit_scale(pipeline::ModelFolder::open(d.string()));
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  write_file((d / "model.safetensors").string(), safetensors_bytes({st_f32("logit_scale", {}, {std::log(100.0f)})}));
  EXPECT_NEAR(eval::clip_logit_scale(pipeline::ModelFolder::open(d.string())), 100.0f, 1e-3);
  EXPECT_NE(scale_error(StTensor{"logit_scale", "I32", {}, {100, 0, 0, 0}}).find("'logit_scale' is i32"), std::string::npos);
  EXPECT_NE(scale_error(st_f32("logit_scale", {}, {1000.0f})).find("not a finite positive scale"), std::string::npos);
  EXPECT_NE(scale_error(st_f32("logit_scale", {}, {NAN})).find("not a finite positive scale"), std::string::npos);
  EXPECT_NE(scale_error(st_f32("logit_scale", {2}, {1, 2})).find("no scalar tensor 'logit_scale'"), std::string::npos);
  fs::remove_all(d);
}

TEST(MmvpVlmFolder, MalformedLayoutsAreNamed) {
  const fs::path d = fs::temp_directory_path() / "facet_mmvp_bad";
  auto setup = [&](const std::string& csv, bool images) {
    fs::remove_all(d);
    fs::create_directories(d);
    std::ofstream(d / "Questions.csv") << csv;
    if (images) {
      fs::create_directories(d / "MLLM_VLM Images" / "Color");
      for (int q = 1; q <= 2; ++q) fs::copy_file(kModels + "/images/photo_50x33.jpg", d / "MLLM_VLM Images" / "Color" / (std::to_string(q) + ".jpg"));
    }
  };
  auto error_of = [&]() -> std::string {
    try {
      eval::read_mmvp_vlm(d.string());
    } catch (const InputError& e) {
      return e.what();
    }
    return "accepted";
  };
  setup("Question ID,Type,Statement\n1,Color,a\n2,Color,b\n", false);
  EXPECT_NE(error_of().find("no image folder"), std::string::npos);
  setup("Question ID,Type\n1,Color\n2,Color\n", true);
  EXPECT_NE(error_of().find("no column 'Statement'"), std::string::npos);
  setup("Question ID,Type,Statement\n1,Color,a\n", true);
  EXPECT_NE(error_of().find("even number"), std::string::npos);
  setup("Question ID,Type,Statement\n1,Color,a\n3,Color,b\n", true);
  EXPECT_NE(error_of().find("3.jpg' does not exist"), std::string::npos);
  setup("Question ID,Type,Statement\nx,Color,a\n2,Color,b\n", true);
  EXPECT_NE(error_of().find("Questions.csv:2: Question ID 'x'"), std::string::npos);
  setup("Question ID,Type,Statement\n1,Color,\"a, quoted\n2,Color,b\n", true);
  EXPECT_NE(error_of().find("unterminated"), std::string::npos);
  setup("Question ID,Type,Statement\r\n1,Color,\"a, \"\"quoted\"\"\"\r\n2,Color,b\r\n", true);
  auto pairs = eval::read_mmvp_vlm(d.string());
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].statement1, "a, \"quoted\"");
  fs::remove_all(d);
}

}  // namespace
}  // namespace facet::test
