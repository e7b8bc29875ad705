// Prompts with images: text in which each "<image>" marks where an image's rows go, turned into
// token ids whose image positions reference media rows (-1 - r for row r), so that the language
// model's `media` input puts the adapter's output there.
//
// Chat prompts (facet run --prompt) are the user message of the model's chat template. When it
// has no marker, one "<image>\n" per image leads it (LLaVA's DEFAULT_IMAGE_TOKEN + '\n' + question).
// Raw prompts (--raw-prompt) are tokenized as written (BOS as the tokenizer adds it). Either way the
// number of markers must equal the number of images (InputError, exit 3).
//
// Tokenization around a marker follows the model's files: when the tokenizer has "<image>" as an
// added special token (llava-hf), the text is encoded once with the markers as that token, which
// then expands to the image's rows; otherwise (the LLaVA repository's tokenizer) the text is
// split at the markers and each piece encoded on its own, only the first with BOS, as LLaVA's
// tokenizer_image_token does. Special-token literals typed by the user stay text.
//
// Regions (pipelines with an input of type "boxes"): each "<region>" marks where a region's rows
// go, in the order of the regions given; their rows follow all the images' rows in the media. The
// number of markers must equal the number of regions (InputError). A region marker is tokenized
// as an image marker is (the "<image>" token, or a split). In pipelines without regions
// (rows_per_region 0) "<region>" is plain text.
//
// The prompt also gives the instruction of pipelines with an input of type "instruction"
// (InstructBLIP's Q-Former): the prompt as the user wrote it (chat or raw), without its markers,
// whitespace trimmed at both ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llm/chat_template.hpp"
#include "text/tokenizer.hpp"

namespace facet::llm {

inline constexpr const char* kImageMarker = "<image>";
inline constexpr const char* kRegionMarker = "<region>";

struct MediaPrompt {
  std::vector<int32_t> ids;  // token ids; -1 - r: row r of the media
  int64_t images = 0;
  int64_t regions = 0;
  std::string instruction;
};

// How a prompt's images are laid out: at its "<image>" markers, or as Kosmos2Processor does
// (llm/kosmos2_prompt.hpp; pipeline chat.prompt_layout "kosmos2").
enum class PromptLayout { Markers, Kosmos2 };

struct MediaPromptOptions {
  std::optional<ChatTemplate> chat;  // nullopt: a raw prompt
  std::string system;                // chat system message (empty: none)
  int64_t images = 0;                // images given with the prompt
  int64_t rows_per_image = 0;        // media rows each image contributes
  int64_t regions = 0;               // regions given with the prompt
  int64_t rows_per_region = 0;       // media rows each region contributes; 0: "<region>" is text
  PromptLayout layout = PromptLayout::Markers;
  // Chat only: the turns before the prompt (user and assistant, no system), rendered ahead of it;
  // their "<image>" markers take the first images. The prompt is the last user message.
  std::vector<ChatMessage> history;
};

MediaPrompt encode_media_prompt(const text::Tokenizer& tokenizer, const std::string& prompt, const MediaPromptOptions& options);

}  // namespace facet::llm
