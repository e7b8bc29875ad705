// VlmSession: a pipeline with a language model and, optionally, images (LLaVA, MoF, Q-Former,
// resampler pipelines; a llava folder). The pipeline has an input of type "tokens" and one of type
// "positions" wired to the LLM stage's `ids` and `positions` ports, and at most one input of type
// "image" from which the vision stages (encoders, adapters) feed the LLM's `media` port.
//
// A prompt with K images runs in one submission: the vision stages are repeated once per image
// (ids "<stage>", "<stage>#1", ...; they share their weights), their media rows are concatenated
// in image order, and the LLM reads them where the prompt's ids reference them (media_prompt.hpp).
// An input of type "instruction" (at most one; it may feed only stages that read the image input)
// is the prompt's instruction, tokenized with that input's tokenizer and given to every image's
// copy of those stages (InstructBLIP's instruction-aware Q-Former).
// An input of type "boxes" (at most one) takes regions: the stages that depend on it (a grounding
// component such as grounding_regions) run once per prompt, reading the first image's copy of the
// stages they share with the image path, and their rows follow the images' rows in the media.
// Regions are given in the original image's pixels and mapped to the pixels the model saw through
// frame(); they refer to the first image.
// Tensors stay on the device from the pixels to the logits. Decoding then feeds one token at a
// time through the LLM stage alone, whose KV cache (states named after the stage) is shared.
//
// Ownership: borrows the registry, context and executor; they must outlive the session.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grounding/frame.hpp"
#include "io/image.hpp"
#include "io/image_processor.hpp"
#include "llm/chat_template.hpp"
#include "llm/llm_session.hpp"
#include "llm/media_prompt.hpp"
#include "pipeline/spec.hpp"

namespace facet::llm {

struct StageTime {
  std::string stage;  // stage id (copies per image counted under the stage they copy)
  double gpu_ms = 0;  // device time of its dispatches (profiling only)
};

struct PrefillTimes {
  double preprocess_ms = 0;  // image decoding and preprocessing (host)
  double submit_ms = 0;      // the prefill submission, wall time
  std::vector<StageTime> stages;  // per stage, in pipeline order, when the context profiles
};

// Regions on the first image of a prompt, in its original pixels (after EXIF orientation).
struct Regions {
  int64_t image_width = 0, image_height = 0;
  std::vector<grounding::Box> boxes;
};

class VlmSession {
 public:
  // InputError (3) / PluginError (4) with the pipeline file's positions for a malformed pipeline.
  VlmSession(const pipeline::PipelineSpec& spec, plugin::PluginRegistry& registry, vk::Context& ctx,
             Executor& executor, SessionOptions options = {});
  ~VlmSession();

  // The LLM stage's model folder (tokenizer, generation config).
  const pipeline::ModelFolder& model() const { return *model_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  // [chat] template, else the tokenizer's, else the pipeline's fallback (InputError when none).
  ChatTemplate chat_template(const std::string& override_name = "") const;
  const std::string& system_message() const { return spec_.chat.system; }
  // How prompts lay out their images (Kosmos-2 folders: Kosmos2Processor's layout, no chat template).
  PromptLayout prompt_layout() const {
    return spec_.chat.prompt_layout == "kosmos2" ? PromptLayout::Kosmos2 : PromptLayout::Markers;
  }
  bool takes_images() const { return image_input_ >= 0; }
  int64_t rows_per_image() const { return rows_per_image_; }
  bool takes_regions() const { return boxes_input_ >= 0; }
  int64_t rows_per_region() const { return rows_per_region_; }

  // Decoded and preprocessed as the image input says; InputError naming the file.
  HostTensor load_image(const std::string& path) const { return preprocess(io::load_image(path)); }
  // An image (decoded, EXIF orientation applied) prepared as the image input says: LLaVA's
  // pad-to-square when asked, then the image processor.
  HostTensor preprocess(const io::RgbImage& image) const;
  // How an image of width x height relates to what the model sees after preprocess().
  grounding::Frame frame(int64_t width, int64_t height) const;

  // Feeds the prompt's ids (negative ids reference rows of the images, in order, then of the
  // regions) and returns the logits after the last one. With images, one submission runs encoders,
  // adapters, region stages and the LLM; `instruction` (MediaPrompt::instruction) feeds the
  // instruction input when there is one. InputError for regions without an image or a regions
  // input, a malformed box, or a box outside the image or outside what the model saw of it.
  std::vector<float> prefill(const std::vector<int32_t>& ids, const std::vector<HostTensor>& pixels,
                             const std::string& instruction, const Regions& regions = {});
  // The regions' boxes in pixels of the image the model saw, f32 [R, 4], checked as prefill does.
  HostTensor region_boxes(const Regions& regions) const;
  bool takes_instruction() const { return instruction_input_ >= 0; }
  // The ids the instruction input is given for `instruction` (its tokenizer, with special tokens).
  std::vector<int32_t> instruction_ids(const std::string& instruction) const;
  const PrefillTimes& last_prefill() const { return times_; }
  LlmSession& llm() { return *llm_; }

 private:
  bool is_region_ref(const pipeline::PortRef& r) const;  // a port of a region stage
  pipeline::PipelineSpec with_images(int64_t images, int64_t regions, int64_t tokens, const std::vector<int32_t>& instruction) const;

  pipeline::PipelineSpec spec_;
  plugin::PluginRegistry& registry_;
  vk::Context& ctx_;
  Executor& executor_;
  int image_input_ = -1, tokens_input_ = -1, positions_input_ = -1, instruction_input_ = -1, boxes_input_ = -1;
  size_t llm_stage_ = 0;
  std::vector<bool> per_image_;  // by stage: depends on the image input (and not on the boxes input)
  std::vector<bool> region_stage_;  // by stage: depends on the boxes input
  io::ImageProcessorConfig processor_;
  int64_t rows_per_image_ = 0, rows_per_region_ = 0;
  std::unique_ptr<pipeline::ModelFolder> model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::unique_ptr<text::Tokenizer> instruction_tokenizer_;
  std::unique_ptr<LlmSession> llm_;
  PrefillTimes times_;
};

}  // namespace facet::llm
