// Asking a multimodal model about one image and reading the boxes in its answer (facet ground,
// and the server and Python package after it): the prompt gets the model's own box text for a
// region, Kosmos-2 prompts get their <grounding> tag, the answer is parsed in the model's box
// format and mapped to the original image's pixels through the same preprocessing the image went
// through.
#pragma once

#include <optional>
#include <string>

#include "grounding/formats.hpp"
#include "io/image.hpp"
#include "llm/generation.hpp"
#include "llm/vlm_session.hpp"

namespace facet::llm {

struct GroundOptions {
  std::string prompt;                        // empty: the format's default request
  std::optional<grounding::Format> format;   // nullopt: the one the model writes (from its model_type)
  std::optional<grounding::Box> region;      // original pixels; its box text replaces "<region>" (appended without one)
  int max_tokens = 128;
  SamplerOptions sampler;
  TextCallback on_text;                      // the answer as it is generated
};

struct GroundedAnswer {
  grounding::Format format = grounding::Format::Shikra;
  std::string prompt;             // as sent: region box text and tags in place
  int64_t prompt_tokens = 0;      // its ids, with the image's rows
  std::string raw;                // the text the boxes were read from (Kosmos-2: prompt and answer)
  Generation reply;               // the answer alone
  grounding::Grounding grounding; // cleaned text, entities in original pixels, warnings
  io::RgbImage image;             // the original image, EXIF orientation applied
};

GroundedAnswer ground(VlmSession& vlm, const std::string& image_path, const GroundOptions& options);
// The same for an image already decoded (EXIF orientation applied).
GroundedAnswer ground(VlmSession& vlm, io::RgbImage image, const GroundOptions& options);

// The boxes of an answer (ground, and facet run of a pipeline with [grounding]): the text they are
// read from — decoded with location tokens kept, since they are often special tokens; for Kosmos-2
// the prompt after its last media row, then the answer, as its post-processing reads the whole
// sequence — parsed in `format` and mapped to the original image through `frame`.
struct ReadBoxes {
  std::string raw;                 // the text the boxes were read from
  grounding::Grounding grounding;  // cleaned text, entities in original pixels, warnings
};
ReadBoxes read_boxes(const text::Tokenizer& tokenizer, grounding::Format format, const std::vector<int32_t>& prompt_ids,
                     const Generation& reply, const grounding::Frame& frame);

}  // namespace facet::llm
