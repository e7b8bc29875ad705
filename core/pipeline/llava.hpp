// LLaVA model folders as pipelines, without a TOML file (facet run --model DIR):
//   llava-hf (LlavaForConditionalGeneration, model_type "llava"): the CLIP tower, the projector
//     (multi_modal_projector.linear_1/2) and the language model all in the folder; hidden state
//     vision_feature_layer, CLS dropped for vision_feature_select_strategy "default"; the folder's
//     preprocessor_config.json (resize + center crop).
//   the LLaVA repository's layout (LlavaLlamaForCausalLM / LlavaMistralForCausalLM, model_type
//     "llava_llama" / "llava_mistral"): language model and model.mm_projector.* in the folder,
//     mm_projector_type linear or mlpNx_gelu, mm_vision_select_layer / _feature, and the CLIP tower
//     named by mm_vision_tower: a folder (absolute, or relative to the model folder) or a Hugging
//     Face hub id found in the local hub cache ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub).
//     image_aspect_ratio "pad" pads each image to a square of the processor's mean color first.
// The pipeline has inputs "image" (type image), "ids" and "positions", and stages "vision",
// "projector" and "llm"; the chat template is the tokenizer's, else LLaVA-1.5's (vicuna).
#pragma once

#include "pipeline/model_folder.hpp"
#include "pipeline/spec.hpp"

namespace facet::pipeline {

bool is_llava(const ModelFolder& folder);

// InputError naming config.json's field when the folder cannot be run as LLaVA.
PipelineSpec llava_pipeline(const ModelFolder& folder);

// A Hugging Face hub id ("openai/clip-vit-large-patch14-336") or a path, as a local folder;
// InputError naming `field` and every place looked in when there is none.
std::string resolve_model_reference(const std::string& reference, const std::string& base_dir, const std::string& field);

}  // namespace facet::pipeline
