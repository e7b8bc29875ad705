#include "pipeline/llava.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "pipeline/spec_builders.hpp"
#include "util/error.hpp"

namespace facet::pipeline {

namespace fs = std::filesystem;

namespace {

const nlohmann::json* field(const nlohmann::json& j, const char* key) {
  return j.contains(key) && !j[key].is_null() ? &j[key] : nullptr;
}

int64_t int_field(const nlohmann::json& j, const char* key, int64_t fallback, const std::string& where) {
  const nlohmann::json* v = field(j, key);
  if (!v) return fallback;
  if (!v->is_number_integer()) throw InputError(where + ": field '" + key + "' must be an integer");
  return v->get<int64_t>();
}

std::string string_field(const nlohmann::json& j, const char* key, const std::string& fallback, const std::string& where) {
  const nlohmann::json* v = field(j, key);
  if (!v) return fallback;
  if (!v->is_string()) throw InputError(where + ": field '" + key + "' must be a string");
  return v->get<std::string>();
}

}  // namespace

bool is_llava(const ModelFolder& f) {
  return f.model_type == "llava" || f.model_type == "llava_llama" || f.model_type == "llava_mistral";
}

std::string resolve_model_reference(const std::string& ref, const std::string& base_dir, const std::string& what) {
  std::error_code ec;
  std::vector<std::string> looked;
  fs::path direct = fs::path(ref).is_absolute() ? fs::path(ref) : fs::path(base_dir) / ref;
  looked.push_back(direct.string());
  if (fs::is_directory(direct, ec)) return direct.lexically_normal().string();
  // The hub cache layout: <root>/models--<org>--<name>/snapshots/<revision>/ (refs/main names it).
  static const std::regex hub_id("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?");
  if (std::regex_match(ref, hub_id)) {
    std::vector<fs::path> roots;
    if (const char* c = std::getenv("HF_HUB_CACHE")) roots.emplace_back(c);
    if (const char* h = std::getenv("HF_HOME")) roots.push_back(fs::path(h) / "hub");
    if (const char* home = std::getenv("HOME")) roots.push_back(fs::path(home) / ".cache" / "huggingface" / "hub");
    std::string repo = "models--" + std::regex_replace(ref, std::regex("/"), "--");
    for (const fs::path& root : roots) {
      fs::path snaps = root / repo / "snapshots";
      looked.push_back(snaps.string());
      if (!fs::is_directory(snaps, ec)) continue;
      std::ifstream main_ref(root / repo / "refs" / "main");
      std::string rev;
      if (main_ref && std::getline(main_ref, rev) && fs::is_directory(snaps / rev, ec)) return (snaps / rev).string();
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(snaps, ec))
        if (e.is_directory()) found.push_back(e.path());
      if (found.size() == 1) return found[0].string();
    }
  }
  std::string list;
  for (const auto& l : looked) list += (list.empty() ? "" : ", ") + l;
  throw InputError(what + " '" + ref + "' is neither a folder nor in the local Hugging Face hub cache (looked in " + list +
                   "); download it there or set the field to the model's folder");
}

PipelineSpec llava_pipeline(const ModelFolder& folder) {
  const std::string where = folder.dir + "/config.json";
  const nlohmann::json& c = folder.config();
  PipelineSpec spec;
  spec.path = where;
  spec.schema_version = kSchemaVersion;

  InputSpec image;
  image.id = "image";
  image.type = InputType::Image;
  std::string vision_weights = folder.dir, projector_plugin = "adapter_mlp", tokens = "patch";
  int64_t layer = -2, depth = 0;
  std::vector<ParamSpec> projector_params;
  if (folder.model_type == "llava") {
    layer = int_field(c, "vision_feature_layer", -2, where);
    const std::string strategy = string_field(c, "vision_feature_select_strategy", "default", where);
    if (strategy == "full") tokens = "all";
    else if (strategy != "default") throw InputError(where + ": field 'vision_feature_select_strategy' '" + strategy + "' is not default or full");
    image.processor = folder.dir;
    // LlavaMultiModalProjector is always linear_1, act, linear_2: a missing layer is an error.
    projector_params = {make_param("prefix", std::string("multi_modal_projector.")), make_param("depth", int64_t{2})};
  } else if (folder.model_type == "llava_llama" || folder.model_type == "llava_mistral") {
    const std::string tower = string_field(c, "mm_vision_tower", "", where);
    if (tower.empty()) throw InputError(where + ": field 'mm_vision_tower' is missing (the CLIP tower to use)");
    vision_weights = resolve_model_reference(tower, folder.dir, where + ": field 'mm_vision_tower'");
    layer = int_field(c, "mm_vision_select_layer", -2, where);
    const std::string feature = string_field(c, "mm_vision_select_feature", "patch", where);
    if (feature == "cls_patch") tokens = "all";
    else if (feature != "patch") throw InputError(where + ": field 'mm_vision_select_feature' '" + feature + "' is not patch or cls_patch");
    image.processor = vision_weights;
    image.pad_to_square = string_field(c, "image_aspect_ratio", "square", where) == "pad";
    const std::string type = string_field(c, "mm_projector_type", "linear", where);
    std::smatch m;
    if (type == "linear") {
      projector_plugin = "adapter_linear";
      projector_params = {make_param("prefix", std::string("model.mm_projector."))};
    } else if (std::regex_match(type, m, std::regex("mlp([0-9]+)x_gelu"))) {
      depth = std::stoll(m[1].str());
      projector_params = {make_param("prefix", std::string("model.mm_projector.")), make_param("depth", depth),
                          make_param("act", std::string("gelu"))};
    } else {
      throw InputError(where + ": field 'mm_projector_type' '" + type + "' is not linear or mlpNx_gelu");
    }
  } else {
    throw InputError("model folder '" + folder.dir + "' is a '" + folder.model_type + "' model, not LLaVA");
  }
  spec.inputs.push_back(image);
  add_token_inputs(spec);
  spec.stages.push_back(make_stage("vision", "encoder_clip", "vision", vision_weights,
                              {make_param("output", "hidden:" + std::to_string(layer)), make_param("tokens", tokens)},
                              {{"pixels", {port_ref("image")}}}));
  spec.stages.push_back(make_stage("projector", projector_plugin, "", folder.dir, projector_params, {{"x", {port_ref("vision.y")}}}));
  spec.stages.push_back(make_stage("llm", "llm_llama", "llm", folder.dir, {},
                              {{"ids", {port_ref("ids")}}, {"positions", {port_ref("positions")}},
                               {"media", {port_ref("projector.y")}}}));
  spec.outputs = {port_ref("llm.logits")};
  spec.chat.fallback_template = "vicuna";  // LLaVA-1.5's conversation format (conv_vicuna_v1)
  return spec;
}

}  // namespace facet::pipeline
