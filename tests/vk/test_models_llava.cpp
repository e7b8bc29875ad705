// LLaVA-1.5 end to end on the tiny checkpoints of tests/models/gen_llava_models.py, against the
// PyTorch reference there: the llava-hf layout (center crop, "<image>" token) and the LLaVA
// repository's layout (pad to square, the tower found in a Hugging Face hub cache, the prompt
// split at the markers). Prompt ids (transformers.js), projected image features, last-prompt
// logits and 12 greedy tokens; one and two images; images of odd sizes and aspect ratios; errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "io/npy.hpp"
#include "llm/media_prompt.hpp"
#include "llm/sampler.hpp"
#include "llm/vlm_session.hpp"
#include "pipeline/model_pipeline.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

namespace fs = std::filesystem;
const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";

// A Hugging Face hub cache in which "facet-test/clip-tiny" is tests/models/clip_tiny.
class HubCache {
 public:
  HubCache() {
    root_ = fs::temp_directory_path() / ("facet_hub_" + std::to_string(::getpid()));
    fs::path snap = root_ / "models--facet-test--clip-tiny" / "snapshots" / "0123abc";
    fs::create_directories(snap.parent_path());
    fs::create_directory_symlink(kModels + "/clip_tiny", snap);
    fs::create_directories(root_ / "models--facet-test--clip-tiny" / "refs");
    std::ofstream(root_ / "models--facet-test--clip-tiny" / "refs" / "main") << "0123abc";
    ::setenv("HF_HUB_CACHE", root_.c_str(), 1);
  }
  ~HubCache() {
    ::unsetenv("HF_HUB_CACHE");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

 private:
  fs::path root_;
};

class LlavaModels : public VkTest {
 protected:
  plugin::PluginRegistry registry{{FACET_PLUGIN_DIR}};
  HubCache hub;

  nlohmann::json cases(const std::string& model) {
    std::ifstream f(kModels + "/goldens/llava/" + model + "/cases.json");
    return nlohmann::json::parse(f);
  }

  // The golden ids number image rows as -1; Facet references row r as -1 - r.
  static std::vector<int32_t> numbered(std::vector<int32_t> ids) {
    int32_t row = 0;
    for (auto& id : ids)
      if (id == -1) id = -1 - row++;
    return ids;
  }

  void check_model(const std::string& model) {
    const pipeline::PipelineSpec spec = pipeline::model_pipeline(pipeline::ModelFolder::open(kModels + "/" + model));
    Executor ex(ctx());
    llm::VlmSession vlm(spec, registry, ctx(), ex);
    EXPECT_TRUE(vlm.takes_images());
    EXPECT_EQ(vlm.rows_per_image(), 25);  // (30 / 6)^2 patches, CLS dropped
    const llm::ChatTemplate tmpl = vlm.chat_template();
    EXPECT_EQ(tmpl.name(), "vicuna");
    const std::string golden = kModels + "/goldens/llava/" + model + "/";
    int checked = 0;
    for (const auto& c : cases(model)) {
      SCOPED_TRACE(model + " " + c["name"].get<std::string>());
      std::vector<HostTensor> pixels;
      for (const auto& image : c["images"]) {
        pixels.push_back(vlm.load_image(kModels + "/images/" + image.get<std::string>()));
        // The projected features alone: the vision stages of the same pipeline.
        pipeline::PipelineSpec part = spec;
        part.inputs = {spec.inputs[0]};
        part.inputs[0].type = pipeline::InputType::File;
        part.inputs[0].tensor = std::make_shared<const HostTensor>(pixels.back());
        part.stages.pop_back();
        part.outputs = {pipeline::port_ref("projector.y")};
        auto out = pipeline::Pipeline::load(part, registry)->run(ctx(), ex);
        const auto want = io::read_npy(golden + image.get<std::string>() + ".features.npy").to_f32();
        EXPECT_LT(rel_error(out.at("projector.y").to_f32(), want), 2e-6);
      }
      llm::MediaPromptOptions mo;
      mo.chat = tmpl;
      mo.images = static_cast<int64_t>(pixels.size());
      mo.rows_per_image = vlm.rows_per_image();
      const llm::MediaPrompt prompt = llm::encode_media_prompt(vlm.tokenizer(), c["message"].get<std::string>(), mo);
      EXPECT_EQ(prompt.ids, numbered(c["ids"].get<std::vector<int32_t>>()));
      vlm.llm().reset();
      std::vector<float> logits = vlm.prefill(prompt.ids, pixels);
      EXPECT_LT(rel_error(logits, io::read_npy(golden + c["logits"].get<std::string>()).to_f32()), 1e-5);
      std::vector<int32_t> tokens;
      for (size_t i = 0; i < c["greedy"].size(); ++i) {
        tokens.push_back(llm::argmax(logits));
        logits = vlm.llm().feed({tokens.back()});
      }
      EXPECT_EQ(tokens, c["greedy"].get<std::vector<int32_t>>());
      EXPECT_GT(c["min_margin"].get<double>(), 1e-3);
      ++checked;
    }
    EXPECT_EQ(checked, 3);
  }
};

TEST_F(LlavaModels, LlavaHfFolderMatchesThePyTorchReference) { check_model("llava_tiny"); }

TEST_F(LlavaModels, LlavaRepositoryFolderMatchesThePyTorchReference) { check_model("llava_repo_tiny"); }

TEST_F(LlavaModels, MarkersImagesAndContextAreChecked) {
  const pipeline::PipelineSpec spec = pipeline::model_pipeline(pipeline::ModelFolder::open(kModels + "/llava_tiny"));
  Executor ex(ctx());
  llm::VlmSession vlm(spec, registry, ctx(), ex, llm::SessionOptions{50, 64});
  llm::MediaPromptOptions mo;
  mo.chat = vlm.chat_template();
  mo.images = 2;
  mo.rows_per_image = vlm.rows_per_image();
  // Two markers for one image, and one marker for two images.
  EXPECT_THROW(llm::encode_media_prompt(vlm.tokenizer(), "<image> and <image>", {mo.chat, "", 1, 25}), InputError);
  EXPECT_THROW(llm::encode_media_prompt(vlm.tokenizer(), "<image> only", mo), InputError);
  // Two images (50 rows) and the text overflow a context of 50 positions.
  const HostTensor px = vlm.load_image(kModels + "/images/rgb_37x23.png");
  const auto prompt = llm::encode_media_prompt(vlm.tokenizer(), "Compare.", mo);
  EXPECT_GT(prompt.ids.size(), 50u);
  EXPECT_THROW(vlm.prefill(prompt.ids, {px, px}), InputError);
  // A reference past the given images.
  EXPECT_THROW(vlm.prefill({1, -26}, {px}), InputError);
  // Text only still works through the same session.
  vlm.llm().reset();
  EXPECT_EQ(vlm.prefill({1, 3148}, {}).size(), 32064u);
}

}  // namespace
}  // namespace facet::test
