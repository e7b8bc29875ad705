#include "pipeline/kosmos2.hpp"

#include "pipeline/spec_builders.hpp"
#include "util/error.hpp"

namespace facet::pipeline {

PipelineSpec kosmos2_pipeline(const ModelFolder& folder) {
  if (folder.model_type != "kosmos-2")
    throw InputError("model folder '" + folder.dir + "' is a '" + folder.model_type + "' model, not Kosmos-2");
  PipelineSpec spec;
  spec.path = folder.dir + "/config.json";
  spec.schema_version = kSchemaVersion;
  InputSpec image;
  image.id = "image";
  image.type = InputType::Image;
  image.processor = folder.dir;
  spec.inputs.push_back(image);
  add_token_inputs(spec);
  spec.stages.push_back(make_stage("vision", "encoder_clip", "vision", folder.dir,
                                   {make_param("output", std::string("last_hidden_state")), make_param("tokens", std::string("all")),
                                    make_param("prefix", std::string("vision_model.model."))},
                                   {{"pixels", {port_ref("image")}}}));
  spec.stages.push_back(make_stage("projection", "grounding_kosmos2", "projection", folder.dir, {}, {{"x", {port_ref("vision.y")}}}));
  spec.stages.push_back(make_stage("text", "grounding_kosmos2", "text", folder.dir, {},
                                   {{"ids", {port_ref("ids")}}, {"positions", {port_ref("positions")}},
                                    {"media", {port_ref("projection.y")}}}));
  spec.outputs = {port_ref("text.logits")};
  spec.chat.prompt_layout = "kosmos2";
  return spec;
}

}  // namespace facet::pipeline
