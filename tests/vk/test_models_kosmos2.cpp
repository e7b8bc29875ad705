// Kosmos-2 end to end on tests/models/kosmos2_tiny against the PyTorch reference of
// tests/models/kosmos2_ref.py (goldens written by make_kosmos2_tiny.py): the folder's pipeline
// (encoder_clip's tower, grounding_kosmos2's projection and text decoder), preprocessed pixels,
// vision features, image embeddings, logits at the last prompt position and after each of 8
// greedy tokens, the greedy tokens themselves; the prompt layout; malformed folders.
// The prompts' ids come from the goldens (Kosmos2Processor's layout), not from Facet's tokenizer.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "io/npy.hpp"
#include "llm/kosmos2_prompt.hpp"
#include "llm/llm_session.hpp"
#include "llm/sampler.hpp"
#include "llm/vlm_session.hpp"
#include "pipeline/model_pipeline.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

namespace fs = std::filesystem;
const std::string kFolder = std::string(FACET_SOURCE_DIR) + "/tests/models/kosmos2_tiny";
const std::string kGoldens = std::string(FACET_SOURCE_DIR) + "/tests/models/goldens/kosmos2_tiny/";
const std::string kImages = std::string(FACET_SOURCE_DIR) + "/tests/models/images/";
constexpr int64_t kLatents = 16;

nlohmann::json cases() {
  std::ifstream f(kGoldens + "cases.json");
  return nlohmann::json::parse(f);
}

// The golden ids with the image positions (image_embeds_position_mask) as media rows -1 - r.
std::vector<int32_t> media_ids(const nlohmann::json& c) {
  std::vector<int32_t> ids = c["ids"].get<std::vector<int32_t>>();
  const auto mask = c["image_embeds_position_mask"].get<std::vector<int>>();
  int32_t row = 0;
  for (size_t i = 0; i < ids.size(); ++i)
    if (mask[i]) ids[i] = -1 - row++;
  return ids;
}

std::vector<float> golden_row(const HostTensor& all, int64_t row) {
  const std::vector<float> v = all.to_f32();
  const auto vocab = static_cast<size_t>(all.desc.dims[1]);
  return {v.begin() + static_cast<std::ptrdiff_t>(row * vocab), v.begin() + static_cast<std::ptrdiff_t>((row + 1) * vocab)};
}

class Kosmos2Model : public VkTest {
 protected:
  plugin::PluginRegistry registry{{FACET_PLUGIN_DIR}};

  pipeline::PipelineSpec spec() { return pipeline::model_pipeline(pipeline::ModelFolder::open(kFolder)); }

  // The folder's pipeline with its image input given as `pixels`, its token inputs sized `n`,
  // its text stage's params as `text`'s (the session's stage, with its context; the session runs
  // the stage without media, so the wiring stays the pipeline's) and `outputs`.
  static pipeline::PipelineSpec fed(pipeline::PipelineSpec s, const HostTensor& pixels, int64_t n,
                                    const pipeline::StageSpec& text, std::vector<pipeline::PortRef> outputs) {
    const auto zeros = std::make_shared<const HostTensor>(HostTensor::from_i32(std::vector<int32_t>(static_cast<size_t>(n))));
    for (auto& in : s.inputs) {
      if (in.type == pipeline::InputType::Image) {
        in.type = pipeline::InputType::File;
        in.tensor = std::make_shared<const HostTensor>(pixels);
      } else {
        in.tensor = zeros;
      }
    }
    s.stages.back().params = text.params;
    s.outputs = std::move(outputs);
    return s;
  }

  // Greedy decoding from `logits` through `llm`, each step's logits against the golden rows
  // within `tolerance` (max abs difference relative to the largest logit).
  void check_decode(llm::LlmSession& llm, std::vector<float> logits, const nlohmann::json& c, double tolerance, double* worst) {
    const HostTensor want = io::read_npy(kGoldens + c["logits"].get<std::string>());
    std::vector<int32_t> tokens;
    for (size_t i = 0; i < c["greedy"].size(); ++i) {
      const double err = rel_error(logits, golden_row(want, static_cast<int64_t>(i)));
      *worst = std::max(*worst, err);
      EXPECT_LT(err, tolerance) << "step " << i;
      tokens.push_back(llm::argmax(logits));
      logits = llm.feed({tokens.back()});
    }
    EXPECT_EQ(tokens, c["greedy"].get<std::vector<int32_t>>());
    EXPECT_GT(c["min_margin"].get<double>(), 1e-2);
  }
};

TEST_F(Kosmos2Model, FolderGivesTheKosmos2Pipeline) {
  const pipeline::PipelineSpec s = spec();
  ASSERT_EQ(s.stages.size(), 3u);
  EXPECT_EQ(s.stages[0].plugin, "encoder_clip");
  EXPECT_EQ(s.stages[1].component, "projection");
  EXPECT_EQ(s.stages[2].component, "text");
  EXPECT_EQ(s.chat.prompt_layout, "kosmos2");
  EXPECT_TRUE(s.chat.fallback_template.empty());
}

// use_square_size: the 50x33 photo becomes an exact 56x56 square (bicubic), as PIL makes it.
TEST_F(Kosmos2Model, PixelsVisionFeaturesAndImageEmbeddingsMatch) {
  const pipeline::PipelineSpec s = spec();
  const io::ImageProcessorConfig proc = pipeline::ModelFolder::open(kFolder).image_processor();
  const HostTensor pixels = io::preprocess_image(io::load_image(kImages + "photo_50x33.jpg"), proc);
  const HostTensor want_pixels = io::read_npy(kGoldens + "pixels.npy");
  ASSERT_EQ(pixels.desc.dims[1], 56);
  ASSERT_EQ(pixels.desc.dims[2], 56);
  EXPECT_LT(rel_error(pixels.to_f32(), want_pixels.to_f32()), 1e-6);

  pipeline::PipelineSpec part = fed(s, want_pixels, 1, s.stages[2], {pipeline::port_ref("vision.y"), pipeline::port_ref("projection.y")});
  part.stages.pop_back();
  part.inputs.resize(1);
  Executor ex(ctx());
  auto out = pipeline::Pipeline::load(part, registry)->run(ctx(), ex);
  const HostTensor vision = out.at("vision.y"), embeds = out.at("projection.y");
  EXPECT_EQ(vision.desc.dims[0], 17);  // CLS + 4 x 4 patches
  EXPECT_EQ(embeds.desc.dims[0], kLatents);
  const double ev = rel_error(vision.to_f32(), io::read_npy(kGoldens + "vision.npy").to_f32());
  const double ee = rel_error(embeds.to_f32(), io::read_npy(kGoldens + "image_embeds.npy").to_f32());
  EXPECT_LT(ev, 2e-6);
  EXPECT_LT(ee, 2e-6);
  std::printf("kosmos2_tiny: vision rel err %.2e, image embeds rel err %.2e\n", ev, ee);
}

// The whole pipeline in one submission (image -> tower -> projection -> prefill), then decoding
// through LlmSession; the text-only prompt through LlmSession alone.
TEST_F(Kosmos2Model, LogitsAndGreedyTokensMatchThePyTorchReference) {
  for (const char* cache : {"f32", "f16"}) {
    SCOPED_TRACE(cache);
    const pipeline::PipelineSpec s = spec();
    const HostTensor pixels = io::read_npy(kGoldens + "pixels.npy");
    double worst = 0;
    int checked = 0;
    for (const auto& c : cases()) {
      SCOPED_TRACE(c["name"].get<std::string>());
      Executor ex(ctx());
      llm::LlmSession llm(s.stages[2], s.path, registry, ctx(), ex, llm::SessionOptions{0, 64, cache});
      const std::vector<int32_t> ids = media_ids(c);
      std::vector<float> logits;
      if (c["image"].is_null()) {
        logits = llm.feed(ids);
      } else {
        const auto n = static_cast<int64_t>(ids.size());
        auto p = pipeline::Pipeline::load(fed(s, pixels, n, llm.stage(), {pipeline::port_ref("text.logits")}), registry);
        std::vector<int32_t> pos(ids.size());
        for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>(i);
        logits = llm.feed(*p, {{"ids", HostTensor::from_i32(ids)}, {"positions", HostTensor::from_i32(pos)}}, n);
      }
      check_decode(llm, logits, c, std::string(cache) == "f32" ? 2e-6 : 3e-4, &worst);  // f16 keys and values
      ++checked;
    }
    EXPECT_EQ(checked, 3);
    std::printf("kosmos2_tiny (%s cache): logits max rel err %.2e over 3 prompts x 8 steps\n", cache, worst);
  }
}

// Kosmos2Processor's layout around the text ids, against the goldens' (image positions as rows).
TEST_F(Kosmos2Model, PromptLayoutIsKosmos2Processors) {
  for (const auto& c : cases()) {
    const std::vector<int32_t> want = media_ids(c);
    const bool image = !c["image"].is_null();
    const size_t head = image ? static_cast<size_t>(kLatents) + 3 : 1;
    const std::vector<int32_t> text(want.begin() + static_cast<std::ptrdiff_t>(head), want.end());
    const llm::Kosmos2Tokens t{0, image ? want[1] : 0, image ? want[head - 1] : 0};
    EXPECT_EQ(llm::kosmos2_layout(t, image, kLatents, text), want) << c["name"];
  }
}

// VlmSession on the folder as facet run drives it: the folder's Unigram tokenizer gives the
// goldens' prompt ids, and the logits follow.
TEST_F(Kosmos2Model, VlmSessionRunsTheFolder) {
  Executor ex(ctx());
  llm::VlmSession vlm(spec(), registry, ctx(), ex, llm::SessionOptions{0, 64, "f32"});
  EXPECT_EQ(vlm.rows_per_image(), kLatents);
  EXPECT_EQ(vlm.prompt_layout(), llm::PromptLayout::Kosmos2);
  double worst = 0;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::vector<HostTensor> pixels;
    if (!c["image"].is_null()) pixels.push_back(vlm.load_image(kImages + c["image"].get<std::string>()));
    llm::MediaPromptOptions mo;
    mo.layout = vlm.prompt_layout();
    mo.images = static_cast<int64_t>(pixels.size());
    mo.rows_per_image = vlm.rows_per_image();
    EXPECT_EQ(llm::encode_media_prompt(vlm.tokenizer(), c["prompt"].get<std::string>(), mo).ids, media_ids(c));
    vlm.llm().reset();
    check_decode(vlm.llm(), vlm.prefill(media_ids(c), pixels, ""), c, 2e-6, &worst);
  }
}

// A copy of the tiny folder whose config.json or model.safetensors is edited.
class BrokenFolder {
 public:
  BrokenFolder() {
    dir_ = fs::temp_directory_path() / ("facet_kosmos2_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::copy(kFolder, dir_);
  }
  ~BrokenFolder() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir() const { return dir_.string(); }
  void edit_config(const std::function<void(nlohmann::json&)>& f) {
    std::ifstream in(dir_ / "config.json");
    nlohmann::json j = nlohmann::json::parse(in);
    f(j);
    std::ofstream(dir_ / "config.json") << j.dump();
  }
  // Renames a tensor in the safetensors header (same length, so the offsets stay valid).
  void rename_tensor(const std::string& from, const std::string& to) {
    ASSERT_EQ(from.size(), to.size());
    std::fstream f(dir_ / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    uint64_t len = 0;
    f.read(reinterpret_cast<char*>(&len), 8);
    std::string header(len, '\0');
    f.read(header.data(), static_cast<std::streamsize>(len));
    const size_t at = header.find("\"" + from + "\"");
    ASSERT_NE(at, std::string::npos) << from;
    header.replace(at + 1, from.size(), to);
    f.seekp(8);
    f.write(header.data(), static_cast<std::streamsize>(len));
  }

 private:
  fs::path dir_;
};

TEST_F(Kosmos2Model, MalformedFoldersAreRefusedNamingTheTensor) {
  auto refused = [&](const BrokenFolder& b, const std::string& what) {
    Executor ex(ctx());
    try {
      pipeline::PipelineSpec s = pipeline::model_pipeline(pipeline::ModelFolder::open(b.dir()));
      pipeline::Pipeline::load(fed(s, io::read_npy(kGoldens + "pixels.npy"), 4, s.stages[2], {pipeline::port_ref("text.logits")}),
                               registry);
      ADD_FAILURE() << "accepted; expected: " << what;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  {
    BrokenFolder b;  // a text layer's tensor missing
    b.rename_tensor("text_model.model.layers.1.ffn.fc2.weight", "text_model.model.layers.1.ffn.fcX.weight");
    refused(b, "text_model.model.layers.1.ffn.fc2.weight");
  }
  {
    BrokenFolder b;  // the connector's cross-attention missing
    b.rename_tensor("image_to_text_projection.x_attn.k_proj.bias", "image_to_text_projection.x_attn.k_proj.bia_");
    refused(b, "image_to_text_projection.x_attn.k_proj.bias");
  }
  {
    BrokenFolder b;  // latent_query [16, 32] against latent_query_num 12
    b.edit_config([](nlohmann::json& j) { j["latent_query_num"] = 12; });
    refused(b, "tensor 'image_to_text_projection.latent_query' must be [12, 32]");
  }
  {
    BrokenFolder b;  // ffn_dim 80 against the stored [64, 32]
    b.edit_config([](nlohmann::json& j) { j["text_config"]["ffn_dim"] = 80; });
    refused(b, "tensor 'text_model.model.layers.0.ffn.fc1.weight' must be [80, 32]");
  }
  {
    BrokenFolder b;  // the tower's tensors missing under vision_model.model.
    b.rename_tensor("vision_model.model.post_layernorm.weight", "vision_model.model.post_layernorm.weighX");
    refused(b, "vision_model.model.post_layernorm.weight");
  }
  {
    BrokenFolder b;
    b.edit_config([](nlohmann::json& j) { j["text_config"]["activation_function"] = "swoosh"; });
    refused(b, "activation_function");
  }
}

}  // namespace
}  // namespace facet::test
