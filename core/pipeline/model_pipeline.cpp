#include "pipeline/model_pipeline.hpp"

#include "pipeline/kosmos2.hpp"
#include "pipeline/llava.hpp"
#include "pipeline/spec_builders.hpp"
#include "util/error.hpp"

namespace facet::pipeline {

PipelineSpec model_pipeline(const ModelFolder& folder) {
  if (is_llava(folder)) return llava_pipeline(folder);
  if (folder.model_type == "kosmos-2") return kosmos2_pipeline(folder);
  const std::string& t = folder.model_type;
  if (t != "llama" && t != "mistral" && t != "qwen2")
    throw InputError("model folder '" + folder.dir + "' holds a '" + t +
                     "' model; facet run takes LLaVA and Kosmos-2 folders and language models (llama, mistral, qwen2)");
  PipelineSpec spec;
  spec.path = folder.gguf ? folder.dir : folder.dir + "/config.json";
  spec.schema_version = kSchemaVersion;
  add_token_inputs(spec);
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
