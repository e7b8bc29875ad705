// Single-file Stable Diffusion checkpoints (core/diffusion/sd_single_file): the tiny LDM files of
// tests/models/make_sd_tiny.py seen as views must hold exactly the tensors of the diffusers folders
// made from the same weights (names, shapes, values), with configs that describe the same model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "diffusion/sd_model.hpp"
#include "diffusion/sd_single_file.hpp"
#include "graph/host_tensor.hpp"
#include "io/weights.hpp"
#include "util/error.hpp"

namespace facet {
namespace {

namespace fs = std::filesystem;
const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models/";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::vector<float> values(const io::TensorRef& t) { return convert_to_f32(t.desc.dtype, t.data, t.desc.elements()); }

// The folder's name in the view: SD 1.x folders carry the VAE attention's older names.
std::string modern(std::string n) {
  for (auto [from, to] : {std::pair<const char*, const char*>{".query.", ".to_q."}, {".key.", ".to_k."}, {".value.", ".to_v."},
                          {".proj_attn.", ".to_out.0."}})
    if (auto at = n.find(from); at != std::string::npos) n.replace(at, std::string(from).size(), to);
  return n;
}

void expect_same_tensors(const std::string& folder_file, const io::WeightSet& view) {
  SCOPED_TRACE(folder_file);
  auto folder = io::WeightSet::open(folder_file);
  size_t n = 0;
  for (const auto& name : folder->names()) {
    const auto want = folder->find(name);
    const auto got = view.find(modern(name));
    ASSERT_TRUE(got.has_value()) << name;
    EXPECT_EQ(got->desc.rank, want->desc.rank) << name;
    for (uint32_t d = 0; d < want->desc.rank; ++d) EXPECT_EQ(got->desc.dims[d], want->desc.dims[d]) << name;
    EXPECT_EQ(values(*got), values(*want)) << name;  // the folder holds the f16 file's values
    ++n;
  }
  EXPECT_GT(n, 20u);
}

void expect_same_model(const std::string& name, size_t extra_text_layers) {
  SCOPED_TRACE(name);
  const auto file = diffusion::open_sd_single_file(kModels + name + ".safetensors");
  const std::string dir = kModels + name + "/";
  expect_same_tensors(dir + "unet/diffusion_pytorch_model.safetensors", *file.unet);
  expect_same_tensors(dir + "vae/diffusion_pytorch_model.safetensors", *file.vae);
  expect_same_tensors(dir + "text_encoder/model.safetensors", *file.text);
  EXPECT_EQ(file.unet->names().size(), io::WeightSet::open(dir + "unet/diffusion_pytorch_model.safetensors")->names().size());

  const auto u = nlohmann::json::parse(*file.unet->file("config.json")), uw = read_json(dir + "unet/config.json");
  for (const char* key : {"block_out_channels", "layers_per_block", "down_block_types", "up_block_types", "cross_attention_dim",
                          "norm_num_groups", "in_channels", "out_channels", "sample_size"})
    EXPECT_EQ(u[key], uw[key]) << key;
  EXPECT_EQ(u["use_linear_projection"], uw.value("use_linear_projection", false));
  // attention_head_dim counts heads (diffusers' naming): one number for every level, or a list.
  const auto& heads = uw["attention_head_dim"];
  for (size_t i = 0; i < u["attention_head_dim"].size(); ++i)
    EXPECT_EQ(u["attention_head_dim"][i], heads.is_array() ? heads[i] : heads) << i;
  const auto v = nlohmann::json::parse(*file.vae->file("config.json")), vw = read_json(dir + "vae/config.json");
  for (const char* key : {"block_out_channels", "layers_per_block", "latent_channels", "norm_num_groups"}) EXPECT_EQ(v[key], vw[key]) << key;
  const auto t = nlohmann::json::parse(*file.text->file("config.json")), tw = read_json(dir + "text_encoder/config.json");
  for (const char* key : {"hidden_size", "intermediate_size", "num_attention_heads", "max_position_embeddings", "vocab_size", "hidden_act"})
    EXPECT_EQ(t[key], tw[key]) << key;
  EXPECT_EQ(t["num_hidden_layers"].get<size_t>(), tw["num_hidden_layers"].get<size_t>() + extra_text_layers);
}

TEST(SdSingleFile, Sd1FileHoldsTheFolderTensorsUnderDiffusersNames) {
  expect_same_model("sd_tiny", 0);
  const auto m = diffusion::SdModel::open(kModels + "sd_tiny.safetensors", kModels + "sd_tiny/tokenizer");
  EXPECT_TRUE(m.single_file);
  EXPECT_FALSE(m.penultimate);
  EXPECT_NE(m.scheduler_config.find("\"epsilon\""), std::string::npos);
  // The views are registered under their names while the model holds them.
  EXPECT_EQ(io::WeightSet::open(m.unet_weights)->path(), kModels + "sd_tiny.safetensors#unet");
}

TEST(SdSingleFile, Sd2FileCutsOpenClipsFusedProjectionsAndUsesThePenultimateLayer) {
  expect_same_model("sd2_tiny", 1);  // the file keeps the text layer SD 2.x does not use
  const auto m = diffusion::SdModel::open(kModels + "sd2_tiny.safetensors", kModels + "sd2_tiny/tokenizer");
  EXPECT_TRUE(m.penultimate);
  EXPECT_NE(m.scheduler_config.find("\"v_prediction\""), std::string::npos);
}

TEST(SdSingleFile, OtherFilesAreRefusedByName) {
  auto message = [](const std::string& path) {
    try {
      diffusion::open_sd_single_file(path);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(kModels + "llama_tiny/model.safetensors").find("has no text encoder"), std::string::npos);
  EXPECT_NE(message(kModels + "sd_tiny/unet/diffusion_pytorch_model.safetensors").find("has no text encoder"), std::string::npos);
  EXPECT_THROW(diffusion::SdModel::open(kModels + "sd_tiny.safetensors", kModels + "no_such_tokenizer"), InputError);
}

TEST(WeightSetView, CutsAndReshapesWithoutCopying) {
  auto base = io::WeightSet::open(kModels + "sd2_tiny.safetensors");
  const std::string fused = "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight";
  const auto src = base->find(fused);
  ASSERT_TRUE(src);
  const int64_t d = src->desc.dims[1];
  auto v = io::WeightSet::view("test#view", base, {{"k", fused, d, 2 * d}, {"flat", fused, 0, -1, {3 * d * d}}}, {{"a.json", "{}"}});
  const auto k = v->find("k");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->desc.dims[0], d);
  EXPECT_EQ(static_cast<const uint8_t*>(k->data), static_cast<const uint8_t*>(src->data) + src->bytes / 3);
  EXPECT_EQ(v->find("flat")->desc.rank, 1u);
  EXPECT_EQ(*v->file("a.json"), "{}");
  EXPECT_EQ(v->file("config.json"), nullptr);
  EXPECT_EQ(io::WeightSet::open("test#view"), v);
  EXPECT_THROW(io::WeightSet::view("test#bad", base, {{"k", fused, 0, 4 * d}}, {}), InputError);
  EXPECT_THROW(io::WeightSet::view("test#bad", base, {{"k", fused, 0, -1, {7}}}, {}), InputError);
  EXPECT_THROW(io::WeightSet::view("test#bad", base, {{"k", "missing"}}, {}), InputError);
}

}  // namespace
}  // namespace facet
