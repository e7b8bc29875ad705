// Kosmos-2 folders (Kosmos2ForConditionalGeneration, model_type "kosmos-2") as pipelines, without
// a TOML file: input "image" (the folder's preprocessor_config.json: CLIPImageProcessor, an exact
// square with use_square_size), "ids" and "positions"; stages "vision" (encoder_clip: the tower
// under vision_model.model., its last hidden state, CLS included), "projection" and "text"
// (grounding_kosmos2). No chat template: prompts are laid out as Kosmos2Processor does
// (chat.prompt_layout "kosmos2", llm/kosmos2_prompt.hpp).
#pragma once

#include "pipeline/model_folder.hpp"
#include "pipeline/spec.hpp"

namespace facet::pipeline {

PipelineSpec kosmos2_pipeline(const ModelFolder& folder);

}  // namespace facet::pipeline
