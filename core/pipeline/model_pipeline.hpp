// The pipeline a model folder (or GGUF file) stands for when it is run without a TOML file
// (facet run --model): a LLaVA folder gives its whole vision-language pipeline (llava.hpp); a
// language model alone (llama, mistral, qwen2, and GGUF files of them) gives inputs "ids" and
// "positions" (types tokens and positions) into one stage "llm".
#pragma once

#include "pipeline/model_folder.hpp"
#include "pipeline/spec.hpp"

namespace facet::pipeline {

// InputError naming the folder when it holds neither.
PipelineSpec model_pipeline(const ModelFolder& folder);

}  // namespace facet::pipeline
