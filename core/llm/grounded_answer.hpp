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

// Where a region box goes in a prompt.
inline constexpr const char* kRegionMarker = "<region>";

struct GroundOptions {
  std::string prompt;                        // empty: the format's default request
  std::optional<grounding::Format> format;   // nullopt: the one the model writes (from its model_type)
  std::optional<grounding::Box> region;      // original pixels; replaces "<region>" (appended without one)
  int max_tokens = 128;
  SamplerOptions sampler;
  TextCallback on_text;                      // the answer as it is generated
};

struct GroundedAnswer {
  grounding::Format format = grounding::Format::Shikra;
  std::string prompt;             // as sent: region box text and tags in place
  std::string raw;                // the text the boxes were read from (Kosmos-2: prompt and answer)
  Generation reply;               // the answer alone
  grounding::Grounding grounding; // cleaned text, entities in original pixels, warnings
  io::RgbImage image;             // the original image, EXIF orientation applied
};

GroundedAnswer ground(VlmSession& vlm, const std::string& image_path, const GroundOptions& options);

}  // namespace facet::llm
