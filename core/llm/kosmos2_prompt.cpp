#include "llm/kosmos2_prompt.hpp"

#include "util/error.hpp"

namespace facet::llm {

std::vector<int32_t> kosmos2_layout(const Kosmos2Tokens& t, bool image, int64_t rows, const std::vector<int32_t>& text_ids) {
  std::vector<int32_t> ids = {t.bos};
  if (image) {
    ids.push_back(t.boi);
    for (int64_t r = 0; r < rows; ++r) ids.push_back(static_cast<int32_t>(-1 - r));
    ids.push_back(t.eoi);
  }
  ids.insert(ids.end(), text_ids.begin(), text_ids.end());
  return ids;
}

Kosmos2Tokens kosmos2_tokens(const text::Tokenizer& tok) {
  auto id = [&](const char* literal) {
    const auto found = tok.token_id(literal);
    if (!found) throw InputError(std::string("the tokenizer has no '") + literal + "' token, which Kosmos-2 prompts need");
    return *found;
  };
  return {id("<s>"), id("<image>"), id("</image>")};
}

MediaPrompt encode_kosmos2_prompt(const text::Tokenizer& tok, const std::string& prompt, const MediaPromptOptions& o) {
  if (o.chat) throw InputError("Kosmos-2 has no chat template: give the prompt as raw text");
  if (o.images > 1) throw InputError("Kosmos-2 takes at most one image per prompt, " + std::to_string(o.images) + " were given");
  if (o.images == 1 && o.rows_per_image < 1) throw InputError("the pipeline gives no media rows per image");
  const char* ws = " \t\r\n";
  std::string text = prompt;
  const size_t first = text.find_first_not_of(ws);
  text = first == std::string::npos ? "" : text.substr(first, text.find_last_not_of(ws) - first + 1);
  const std::string marker = kImageMarker;
  if (text.compare(0, marker.size(), marker) == 0) {
    text = text.substr(marker.size());
    const size_t b = text.find_first_not_of(ws);
    text = b == std::string::npos ? "" : text.substr(b);
  }
  if (text.find(marker) != std::string::npos)
    throw InputError("a Kosmos-2 prompt takes its image ahead of the text; '" + marker + "' may only lead it");
  text::EncodeOptions eo;
  eo.add_special = false;
  eo.parse_special = true;
  MediaPrompt out;
  out.images = o.images;
  out.instruction = text;
  out.ids = kosmos2_layout(kosmos2_tokens(tok), o.images == 1, o.rows_per_image, tok.encode(text, eo));
  return out;
}

}  // namespace facet::llm
