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
#include "pipeline/spec.hpp"
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

  // `spec`'s last stage is the language model; `features` is the port feeding its media.
  void check_pipeline(const pipeline::PipelineSpec& spec, const std::string& goldens, const std::string& features,
                      int64_t rows, size_t n_cases) {
    Executor ex(ctx());
    llm::VlmSession vlm(spec, registry, ctx(), ex, llm::SessionOptions{0, 64, "f32"});  // the f32 cache: tight bounds
    EXPECT_TRUE(vlm.takes_images());
    EXPECT_EQ(vlm.rows_per_image(), rows);
    const llm::ChatTemplate tmpl = vlm.chat_template();
    EXPECT_EQ(tmpl.name(), "vicuna");
    const std::string golden = kModels + "/goldens/llava/" + goldens + "/";
    int checked = 0;
    for (const auto& c : cases(goldens)) {
      SCOPED_TRACE(goldens + " " + c["name"].get<std::string>());
      std::vector<HostTensor> pixels;
      for (size_t k = 0; k < c["images"].size(); ++k) {
        const std::string image = c["images"][k];
        pixels.push_back(vlm.load_image(kModels + "/images/" + image));
        // The projected features alone: the vision stages of the same pipeline (and its
        // instruction, tokenized by the reference).
        pipeline::PipelineSpec part = spec;
        part.inputs = {spec.inputs[0]};
        part.inputs[0].type = pipeline::InputType::File;
        part.inputs[0].tensor = std::make_shared<const HostTensor>(pixels.back());
        for (const auto& in : spec.inputs)
          if (in.type == pipeline::InputType::Instruction) {
            part.inputs.push_back(in);
            part.inputs.back().tensor =
                std::make_shared<const HostTensor>(HostTensor::from_i32(c["instruction_ids"].get<std::vector<int32_t>>()));
          }
        part.stages.pop_back();
        part.outputs = {pipeline::port_ref(features)};
        auto out = pipeline::Pipeline::load(part, registry)->run(ctx(), ex);
        const std::string file = c.contains("features") ? c["features"][k].get<std::string>() : image + ".features.npy";
        EXPECT_LT(rel_error(out.at(features).to_f32(), io::read_npy(golden + file).to_f32()), 2e-6);
      }
      llm::MediaPromptOptions mo;
      mo.chat = tmpl;
      mo.images = static_cast<int64_t>(pixels.size());
      mo.rows_per_image = vlm.rows_per_image();
      const llm::MediaPrompt prompt = llm::encode_media_prompt(vlm.tokenizer(), c["message"].get<std::string>(), mo);
      EXPECT_EQ(prompt.ids, numbered(c["ids"].get<std::vector<int32_t>>()));
      if (vlm.takes_instruction()) {  // Facet's WordPiece against transformers.js
        EXPECT_EQ(vlm.instruction_ids(prompt.instruction), c["instruction_ids"].get<std::vector<int32_t>>());
      }
      vlm.llm().reset();
      std::vector<float> logits = vlm.prefill(prompt.ids, pixels, prompt.instruction);
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
    EXPECT_EQ(checked, n_cases);
  }

  void check_model(const std::string& model) {
    check_pipeline(pipeline::model_pipeline(pipeline::ModelFolder::open(kModels + "/" + model)), model, "projector.y", 25, 3);
  }

  // A pipeline shipped in docs/pipelines, with its ${VARIABLES} set to the tiny checkpoints.
  static pipeline::PipelineSpec shipped(const std::string& name) {
    ::setenv("LLAVA_DIR", (kModels + "/llava_tiny").c_str(), 1);
    ::setenv("MOF_DIR", (kModels + "/mof_tiny").c_str(), 1);
    ::setenv("CLIP_DIR", (kModels + "/clip_tiny").c_str(), 1);
    ::setenv("DINO_DIR", (kModels + "/dinov2_mof_tiny").c_str(), 1);
    ::setenv("RESAMPLER_DIR", (kModels + "/resampler_tiny").c_str(), 1);
    ::setenv("QFORMER_DIR", (kModels + "/qformer_tiny").c_str(), 1);
    ::setenv("INSTRUCTBLIP_DIR", (kModels + "/instructblip_qformer_tiny").c_str(), 1);
    ::setenv("LLM_DIR", (kModels + "/mof_tiny").c_str(), 1);
    return pipeline::parse_pipeline_file(std::string(FACET_SOURCE_DIR) + "/docs/pipelines/" + name);
  }

  // A shipped pipeline with `from` replaced by `to` is refused with "variant.toml:<where>" and `what`.
  void refused_variant(const std::string& name, const std::string& from, const std::string& to, const std::string& where,
                       const std::string& what) {
    shipped(name);  // sets the variables
    std::ifstream f(std::string(FACET_SOURCE_DIR) + "/docs/pipelines/" + name);
    std::string t((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t at = t.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    Executor ex(ctx());
    try {
      llm::VlmSession vlm(pipeline::parse_pipeline_text(t, std::string(FACET_SOURCE_DIR) + "/docs/pipelines/variant.toml"),
                          registry, ctx(), ex);
      ADD_FAILURE() << "accepted: " << to;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("variant.toml:" + where), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  }
};

TEST_F(LlavaModels, LlavaHfFolderMatchesThePyTorchReference) { check_model("llava_tiny"); }

TEST_F(LlavaModels, LlavaRepositoryFolderMatchesThePyTorchReference) { check_model("llava_repo_tiny"); }

// (30 / 6)^2 = 25 patch tokens per image (CLS dropped); I-MoF doubles them.
TEST_F(LlavaModels, ShippedLlavaPipelineMatchesTheFolder) {
  check_pipeline(shipped("llava-1.5.toml"), "llava_tiny", "projector.y", 25, 3);
}

TEST_F(LlavaModels, ShippedInterleavedMofPipelineMatchesThePyTorchReference) {
  check_pipeline(shipped("llava-1.5-imof.toml"), "imof", "mof.y", 50, 2);
}

TEST_F(LlavaModels, ShippedAdditiveMofPipelineMatchesThePyTorchReference) {
  check_pipeline(shipped("llava-1.5-amof.toml"), "amof", "mof.y", 25, 2);
}

// 8 latents per image whatever the number of image tokens.
TEST_F(LlavaModels, ShippedResamplerPipelineMatchesThePyTorchReference) {
  check_pipeline(shipped("resampler.toml"), "resampler", "projector.y", 8, 2);
}

// 6 Q-Former queries per image; cross-attention in layers 0 and 2 over all 26 CLIP tokens.
TEST_F(LlavaModels, ShippedQFormerPipelineMatchesThePyTorchReference) {
  check_pipeline(shipped("qformer.toml"), "qformer", "qformer.y", 6, 2);
}

// InstructBLIP: each prompt's instruction ("What is in the image?") goes through the Q-Former's
// own WordPiece tokenizer into the self-attention next to the queries.
TEST_F(LlavaModels, ShippedInstructBlipPipelineMatchesThePyTorchReference) {
  check_pipeline(shipped("instructblip.toml"), "instructblip", "qformer.y", 6, 2);
}

// The instruction input is checked with the rest of the pipeline, with its TOML line.
TEST_F(LlavaModels, InstructionInputsAreValidated) {
  auto refused = [&](auto... a) { refused_variant("instructblip.toml", a...); };
  refused("/qformer_tokenizer\"", "/no_tokenizer\"", "15:", "tokenizer '");
  refused("media = \"qformer.y\"", "media = \"qformer.y\", extra = \"instruction\"", "47:", "must be wired to stages that read the image");
  refused("type = \"tokens\"", "type = \"instruction\"\ntokenizer = \"x\"", "20:", "at most one input of this type");
  // A Q-Former without word embeddings (BLIP-2) cannot take the instruction.
  refused("weights = \"${INSTRUCTBLIP_DIR}\"", "weights = \"${QFORMER_DIR}\"", "36:", "no word embeddings");
}

// InstructBLIP's Q-Former alone: queries and an instruction's tokens share the self-attention,
// the text rows have their own FFN, and only the query rows are projected.
TEST_F(LlavaModels, InstructBlipQFormerTakesAnInstruction) {
  const std::string g = kModels + "/goldens/llava/instructblip/";
  auto run = [&](bool with_text) {
    std::string toml = "schema_version = 1\n[[input]]\nid = \"x\"\nfile = \"" + g + "features.npy\"\n";
    if (with_text) toml += "[[input]]\nid = \"ids\"\nfile = \"" + g + "ids.npy\"\n";
    toml += "[[stage]]\nid = \"qformer\"\nplugin = \"adapter_qformer\"\nweights = \"" + kModels +
            "/instructblip_qformer_tiny\"\ninputs = { x = \"x\"" + (with_text ? ", text = \"ids\"" : "") + " }\n";
    Executor ex(ctx());
    auto p = pipeline::Pipeline::load(pipeline::parse_pipeline_text(toml, "instructblip.toml"), registry);
    return p->run(ctx(), ex).at("qformer.y");
  };
  const HostTensor with = run(true), without = run(false);
  EXPECT_EQ(with.desc.dims[0], 6);
  EXPECT_LT(rel_error(with.to_f32(), io::read_npy(g + "y_text.npy").to_f32()), 1e-5);
  EXPECT_LT(rel_error(without.to_f32(), io::read_npy(g + "y_plain.npy").to_f32()), 1e-5);
  EXPECT_GT(rel_error(with.to_f32(), without.to_f32()), 1e-2);  // the instruction changes the queries
  // BLIP-2's Q-Former has no word embeddings: an instruction is refused while validating.
  const std::string blip2 = "schema_version = 1\n[[input]]\nid = \"x\"\nfile = \"" + g +
                            "features.npy\"\n[[input]]\nid = \"ids\"\nfile = \"" + g +
                            "ids.npy\"\n[[stage]]\nid = \"qformer\"\nplugin = \"adapter_qformer\"\nweights = \"" + kModels +
                            "/qformer_tiny\"\ninputs = { x = \"x\", text = \"ids\" }\n";
  try {
    pipeline::Pipeline::load(pipeline::parse_pipeline_text(blip2, "blip2.toml"), registry);
    ADD_FAILURE() << "accepted an instruction for BLIP-2";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no word embeddings"), std::string::npos) << e.what();
  }
}

// Pipelines that cannot fit are refused while they are validated (before any GPU work), with the
// TOML position of the offending stage or port.
TEST_F(LlavaModels, MismatchedPipelinesAreRefusedWithTheirTomlLine) {
  auto refused = [&](auto... a) { refused_variant("llava-1.5-imof.toml", a...); };
  // The adapter's width (16) is not the language model's hidden size (llama_tiny: 48).
  refused("weights = \"${MOF_DIR}\"\ninputs = { ids", "weights = \"" + kModels + "/llama_tiny\"\ninputs = { ids", "48:",
          "hidden_size 48");
  // A port wired to a stage that does not exist.
  refused("media = \"mof.y\"", "media = \"moff.y\"", "53:", "missing stage 'moff'");
  // DINOv2 with 7-pixel patches gives 16 tokens where CLIP gives 25.
  refused("weights = \"${DINO_DIR}\"", "weights = \"" + kModels + "/dinov2_tiny\"", "40:", "25 tokens but DINOv2 gives 16");
}

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
  EXPECT_THROW(vlm.prefill(prompt.ids, {px, px}, ""), InputError);
  // A reference past the given images.
  EXPECT_THROW(vlm.prefill({1, -26}, {px}, ""), InputError);
  // Text only still works through the same session.
  vlm.llm().reset();
  EXPECT_EQ(vlm.prefill({1, 3148}, {}, "").size(), 32064u);
}

}  // namespace
}  // namespace facet::test
