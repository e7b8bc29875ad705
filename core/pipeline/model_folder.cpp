#include "pipeline/model_folder.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/weights.hpp"
#include "pipeline/pipeline.hpp"
#include "text/gguf_vocab.hpp"
#include "util/error.hpp"

namespace facet::pipeline {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError("cannot read '" + p.string() + "'");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ModelFolder ModelFolder::open(const std::string& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir, ec) && (fs::path(dir).extension() == ".gguf" || io::GgufFile::has_magic(dir))) {
    ModelFolder f;
    f.dir = dir;
    f.gguf = io::WeightSet::open(dir)->gguf();
    f.model_type = f.gguf->get_string("general.architecture").value_or("");
    if (f.model_type.empty()) throw InputError("GGUF file '" + dir + "' has no general.architecture");
    f.config_ = std::make_shared<const nlohmann::json>(nlohmann::json::object());
    return f;
  }
  if (!fs::is_directory(dir, ec)) throw InputError("model folder '" + dir + "' does not exist");
  fs::path config = fs::path(dir) / "config.json";
  if (!fs::is_regular_file(config, ec)) throw InputError("model folder '" + dir + "' has no config.json");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(config));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + config.string() + "' is not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("model_type") || !j["model_type"].is_string())
    throw InputError("'" + config.string() + "' has no model_type string");
  ModelFolder f;
  f.dir = dir;
  f.config_ = std::make_shared<const nlohmann::json>(j);
  f.model_type = j["model_type"].get<std::string>();
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string())
    f.architecture = j["architectures"][0].get<std::string>();
  return f;
}

std::string ModelFolder::vision_plugin() const {
  if (model_type == "clip" || model_type == "clip_vision_model") return "encoder_clip";
  if (model_type == "dinov2" || model_type == "dinov2_with_registers") return "encoder_dinov2";
  throw InputError("model folder '" + dir + "' holds a '" + model_type +
                   "' model, which has no vision encoder Facet knows (clip, clip_vision_model, dinov2, dinov2_with_registers)");
}

io::ImageProcessorConfig ModelFolder::image_processor() const {
  fs::path p = fs::path(dir) / "preprocessor_config.json";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) throw InputError("model folder '" + dir + "' has no preprocessor_config.json");
  io::ImageProcessorConfig c = io::ImageProcessorConfig::parse(read_file(p), p.string());
  // CLIP towers (no position interpolation) take exactly image_size x image_size pixels: a
  // processor that gives another size is refused here, before any image is resized to it.
  const nlohmann::json* vision = nullptr;
  if (config_ && (model_type == "clip" || model_type == "llava") && config().contains("vision_config"))
    vision = &config()["vision_config"];
  else if (config_ && model_type == "clip_vision_model")
    vision = &config();
  if (vision && vision->is_object() && vision->contains("image_size") && (*vision)["image_size"].is_number_integer() &&
      c.do_center_crop) {
    const int64_t side = (*vision)["image_size"].get<int64_t>();
    if (c.crop_height != side || c.crop_width != side)
      throw InputError("'" + p.string() + "': crop_size " + std::to_string(c.crop_width) + "x" + std::to_string(c.crop_height) +
                       " does not match the vision tower's image_size " + std::to_string(side) + " (config.json)");
  }
  return c;
}

text::Tokenizer ModelFolder::tokenizer() const {
  if (gguf) return text::tokenizer_from_gguf(*gguf);
  fs::path p = fs::path(dir) / "tokenizer.json";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec))
    throw InputError("model folder '" + dir +
                     "' has no tokenizer.json (folders with only vocab.json/merges.txt or tokenizer.model need the "
                     "tokenizer.json that transformers' fast tokenizers save)");
  return text::Tokenizer::from_json(read_file(p), p.string());
}

PipelineSpec one_stage_pipeline(const ModelFolder& folder, const std::string& plugin, const std::string& component,
                                const std::string& port, std::shared_ptr<const HostTensor> tensor,
                                const std::vector<std::pair<std::string, std::string>>& params) {
  PipelineSpec spec;
  spec.path = folder.dir + "/config.json";
  spec.schema_version = kSchemaVersion;
  InputSpec in;
  in.id = port;
  in.tensor = std::move(tensor);
  spec.inputs.push_back(in);
  StageSpec st;
  st.id = "encoder";
  st.plugin = plugin;
  st.component = component;
  st.weights = folder.dir;
  for (const auto& [name, value] : params) st.params.push_back({name, value, {}});
  st.inputs = {{port, {PortRef{port, port, "", {}}}}};
  spec.stages.push_back(st);
  spec.outputs = {PortRef{"encoder.y", "encoder", "y", {}}};
  return spec;
}

PipelineSpec vision_pipeline(const ModelFolder& folder, std::shared_ptr<const HostTensor> pixels, const std::string& output,
                             const std::string& tokens) {
  return one_stage_pipeline(folder, folder.vision_plugin(), "vision", "pixels", std::move(pixels),
                            {{"output", output}, {"tokens", tokens}});
}

std::vector<HostTensor> encode_batch(const ModelFolder& folder, const std::string& plugin, const std::string& component,
                                     const std::string& port, const std::vector<std::shared_ptr<const HostTensor>>& inputs,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     plugin::PluginRegistry& registry, vk::Context& ctx, Executor& executor) {
  PipelineSpec spec;
  spec.path = folder.dir + "/config.json";
  spec.schema_version = kSchemaVersion;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string n = std::to_string(i);
    InputSpec in;
    in.id = port + n;
    in.tensor = inputs[i];
    spec.inputs.push_back(in);
    StageSpec st;
    st.id = "encoder" + n;
    st.plugin = plugin;
    st.component = component;
    st.weights = folder.dir;
    for (const auto& [name, value] : params) st.params.push_back({name, value, {}});
    st.inputs = {{port, {PortRef{in.id, in.id, "", {}}}}};
    spec.stages.push_back(st);
    spec.outputs.push_back(PortRef{st.id + ".y", st.id, "y", {}});
  }
  auto p = Pipeline::load(spec, registry);
  auto out = p->run(ctx, executor);
  std::vector<HostTensor> result;
  for (size_t i = 0; i < inputs.size(); ++i) result.push_back(out.at("encoder" + std::to_string(i) + ".y"));
  return result;
}

std::vector<HostTensor> embed_batch(const ModelFolder& folder, const std::vector<std::shared_ptr<const HostTensor>>& pixels,
                                    const std::string& output, plugin::PluginRegistry& registry, vk::Context& ctx,
                                    Executor& executor) {
  return encode_batch(folder, folder.vision_plugin(), "vision", "pixels", pixels, {{"output", output}}, registry, ctx,
                      executor);
}

}  // namespace facet::pipeline
