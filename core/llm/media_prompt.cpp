#include "llm/media_prompt.hpp"

#include "llm/kosmos2_prompt.hpp"
#include "util/error.hpp"

namespace facet::llm {

namespace {

std::vector<size_t> marker_offsets(const std::string& text, size_t begin, size_t end) {
  std::vector<size_t> at;
  const std::string m = kImageMarker;
  for (size_t p = text.find(m, begin); p != std::string::npos && p + m.size() <= end; p = text.find(m, p + m.size()))
    at.push_back(p);
  return at;
}

// `spans` with the marker ranges cut out (so the markers are parsed as tokens).
std::vector<std::pair<size_t, size_t>> without(const std::vector<std::pair<size_t, size_t>>& spans,
                                               const std::vector<size_t>& markers) {
  const size_t len = std::string(kImageMarker).size();
  std::vector<std::pair<size_t, size_t>> out;
  for (auto [b, e] : spans) {
    size_t cur = b;
    for (size_t m : markers)
      if (m >= cur && m + len <= e) {
        if (m > cur) out.emplace_back(cur, m);
        cur = m + len;
      }
    if (cur < e) out.emplace_back(cur, e);
  }
  return out;
}

std::string instruction_of(const std::string& prompt) {
  std::string out;
  const std::string m = kImageMarker;
  size_t at = 0;
  for (size_t p = prompt.find(m); p != std::string::npos; p = prompt.find(m, at)) {
    out += prompt.substr(at, p - at);
    at = p + m.size();
  }
  out += prompt.substr(at);
  const char* ws = " \t\r\n";
  const size_t b = out.find_first_not_of(ws);
  return b == std::string::npos ? "" : out.substr(b, out.find_last_not_of(ws) - b + 1);
}

std::string bos_literal(const text::Tokenizer& t) { return t.prefix_ids.empty() ? "" : t.token(t.prefix_ids[0]); }

std::string eos_literal(const text::Tokenizer& t) {
  for (const char* e : {"</s>", "<|end_of_text|>", "<|endoftext|>"})
    if (t.token_id(e)) return e;
  return "";
}

}  // namespace

MediaPrompt encode_media_prompt(const text::Tokenizer& tok, const std::string& prompt, const MediaPromptOptions& o) {
  if (o.layout == PromptLayout::Kosmos2) return encode_kosmos2_prompt(tok, prompt, o);
  if (o.images > 0 && o.rows_per_image < 1) throw InputError("the pipeline gives no media rows per image");
  // The full text, the spans whose special-token literals stay text, and whether BOS is added by
  // the tokenizer (raw) or written by the template (chat).
  std::string text;
  std::vector<std::pair<size_t, size_t>> literal;
  bool add_special = false;
  if (o.chat) {
    std::string user = prompt;
    if (o.images > 0 && marker_offsets(prompt, 0, prompt.size()).empty()) {
      std::string lead;
      for (int64_t i = 0; i < o.images; ++i) lead += std::string(kImageMarker) + "\n";
      user = lead + prompt;
    }
    std::vector<ChatMessage> messages;
    if (!o.system.empty()) messages.push_back({"system", o.system});
    messages.push_back({"user", user});
    RenderedChat r = o.chat->render(messages, true, bos_literal(tok), eos_literal(tok));
    text = r.text;
    literal = r.message_spans;
  } else {
    text = prompt;
    literal = {{0, text.size()}};
    add_special = true;
  }
  // Markers inside message text (a template never writes one itself).
  std::vector<size_t> markers;
  for (auto [b, e] : literal)
    for (size_t m : marker_offsets(text, b, e)) markers.push_back(m);
  if (static_cast<int64_t>(markers.size()) != o.images)
    throw InputError("the prompt has " + std::to_string(markers.size()) + " " + kImageMarker + " marker" +
                     (markers.size() == 1 ? "" : "s") + " but " + std::to_string(o.images) + " image" +
                     (o.images == 1 ? " was" : "s were") + " given");

  MediaPrompt out;
  out.images = o.images;
  out.instruction = instruction_of(prompt);
  int64_t next_row = 0;
  auto append_image = [&] {
    for (int64_t r = 0; r < o.rows_per_image; ++r) out.ids.push_back(static_cast<int32_t>(-1 - next_row++));
  };
  const auto image_id = tok.token_id(kImageMarker);
  if (image_id && tok.is_special(*image_id)) {
    text::EncodeOptions eo;
    eo.add_special = add_special;
    eo.parse_special = true;
    eo.literal_spans = without(literal, markers);
    for (int32_t id : tok.encode(text, eo)) {
      if (id == *image_id) append_image();
      else out.ids.push_back(id);
    }
    return out;
  }
  // No <image> token: pieces between markers encoded separately (LLaVA's tokenizer_image_token).
  const size_t len = std::string(kImageMarker).size();
  size_t begin = 0;
  for (size_t k = 0; k <= markers.size(); ++k) {
    const size_t end = k < markers.size() ? markers[k] : text.size();
    text::EncodeOptions eo;
    eo.add_special = add_special && k == 0;
    eo.parse_special = true;
    for (auto [b, e] : literal) {
      const size_t lb = std::max(b, begin), le = std::min(e, end);
      if (lb < le) eo.literal_spans.emplace_back(lb - begin, le - begin);
    }
    if (end > begin || eo.add_special) {
      std::vector<int32_t> piece = tok.encode(std::string_view(text).substr(begin, end - begin), eo);
      out.ids.insert(out.ids.end(), piece.begin(), piece.end());
    }
    if (k < markers.size()) append_image();
    begin = end + len;
  }
  return out;
}

}  // namespace facet::llm
