// Kosmos-2's prompt layout, as Kosmos2Processor(text, images) gives it with add_special_tokens and
// no EOS: "<s>", then for an image "<image>", latent_query_num image positions, "</image>", then
// the prompt's tokens (its text stripped, special tokens such as <grounding> parsed). Where the
// processor writes the ids unk + 1 .. unk + N at the image positions (image_embeds_position_mask),
// Facet writes media rows -1 - r, which the text decoder replaces with the image embeddings.
// Kosmos-2 takes raw prompts: no chat template; at most one image, always ahead of the text (a
// leading "<image>" marker in the prompt is dropped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llm/media_prompt.hpp"
#include "text/tokenizer.hpp"

namespace facet::llm {

struct Kosmos2Tokens {
  int32_t bos = 0;  // <s>
  int32_t boi = 0;  // <image>
  int32_t eoi = 0;  // </image>
};

// The layout around already tokenized text; `rows` media rows when `image`.
std::vector<int32_t> kosmos2_layout(const Kosmos2Tokens& tokens, bool image, int64_t rows, const std::vector<int32_t>& text_ids);

// <s>, <image> and </image> in the tokenizer; InputError naming the missing one.
Kosmos2Tokens kosmos2_tokens(const text::Tokenizer& tokenizer);

// The prompt's ids for options.images (0 or 1) images of options.rows_per_image rows; InputError
// for more images or a chat template.
MediaPrompt encode_kosmos2_prompt(const text::Tokenizer& tokenizer, const std::string& prompt, const MediaPromptOptions& options);

}  // namespace facet::llm
