#include "pipeline/model_pipeline.hpp"

#include "pipeline/llava.hpp"
#include "util/error.hpp"

namespace facet::pipeline {

PipelineSpec model_pipeline(const ModelFolder& folder) {
  if (is_llava(folder)) return llava_pipeline(folder);
  const std::string& t = folder.model_type;
  if (t != "llama" && t != "mistral" && t != "qwen2")
    throw InputError("model folder '" + folder.dir + "' holds a '" + t +
                     "' model; facet run takes LLaVA folders and language models (llama, mistral, qwen2)");
  PipelineSpec spec;
  spec.path = folder.gguf ? folder.dir : folder.dir + "/config.json";
  spec.schema_version = kSchemaVersion;
  for (auto [id, type] : {std::pair{"ids", InputType::Tokens}, std::pair{"positions", InputType::Positions}}) {
    InputSpec in;
    in.id = id;
    in.type = type;
    spec.inputs.push_back(in);
  }
  StageSpec llm;
  llm.id = "llm";
  llm.plugin = "llm_llama";
  llm.component = "llm";
  llm.weights = folder.dir;
  llm.inputs = {{"ids", {port_ref("ids")}}, {"positions", {port_ref("positions")}}};
  spec.stages.push_back(llm);
  spec.outputs = {port_ref("llm.logits")};
  return spec;
}

}  // namespace facet::pipeline
