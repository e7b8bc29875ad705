// CLIP as its paper uses it: image and text embeddings compared by cosine, scaled by
// exp(logit_scale) into logits (Hugging Face CLIPModel's logits_per_image), and softmax over the
// candidates. Shared by `facet embed-text`, `facet classify` and `facet mmvp-vlm`.
#pragma once

#include <string>
#include <vector>

#include "graph/executor.hpp"
#include "pipeline/model_folder.hpp"
#include "plugin/registry.hpp"
#include "text/tokenizer.hpp"
#include "vk/context.hpp"

namespace facet::eval {

// The ids CLIP's text tower takes for `text`: tokenizer.json's pipeline with its BOS/EOS.
// More than text_config.max_position_embeddings ids is an InputError naming the count, unless
// `truncate`, which keeps the first ids and the end-of-text token (as Hugging Face's
// truncation=True does).
std::vector<int32_t> clip_text_ids(const pipeline::ModelFolder& folder, const text::Tokenizer& tokenizer,
                                   const std::string& text, bool truncate);

// exp(logit_scale) from the folder's weights (InputError when the tensor is absent).
float clip_logit_scale(const pipeline::ModelFolder& folder);

// Embeds images and texts with one CLIP folder on one device. Ownership: borrows the registry,
// context and executor, which must outlive it.
class ClipScorer {
 public:
  ClipScorer(pipeline::ModelFolder folder, plugin::PluginRegistry& registry, vk::Context& ctx, Executor& executor,
             bool truncate = false);

  // L2-normalized projected embeddings, in order; `batch` images or texts per submission.
  std::vector<std::vector<float>> images(const std::vector<std::string>& paths, size_t batch = 8);
  std::vector<std::vector<float>> texts(const std::vector<std::string>& texts, size_t batch = 16);
  float scale() const { return scale_; }
  const text::Tokenizer& tokenizer() const { return tokenizer_; }
  const pipeline::ModelFolder& folder() const { return folder_; }

 private:
  pipeline::ModelFolder folder_;
  text::Tokenizer tokenizer_;
  plugin::PluginRegistry& registry_;
  vk::Context& ctx_;
  Executor& executor_;
  bool truncate_;
  float scale_;
};

// Scales v to unit length (a zero vector stays zero).
void normalize(std::vector<float>& v);
float dot(const std::vector<float>& a, const std::vector<float>& b);
// softmax(scale * x)
std::vector<float> softmax(const std::vector<float>& x, float scale = 1.0f);

}  // namespace facet::eval
