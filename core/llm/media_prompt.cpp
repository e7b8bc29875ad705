#include "llm/media_prompt.hpp"

#include <algorithm>

#include "llm/kosmos2_prompt.hpp"
#include "util/error.hpp"

namespace facet::llm {

namespace {

// A marker in the text: where it starts, how long it is, and whether it is a region's.
struct Marker {
  size_t at = 0, len = 0;
  bool region = false;
};

std::vector<size_t> offsets_of(const std::string& text, const std::string& m, size_t begin, size_t end) {
  std::vector<size_t> at;
  for (size_t p = text.find(m, begin); p != std::string::npos && p + m.size() <= end; p = text.find(m, p + m.size()))
    at.push_back(p);
  return at;
}

// The markers inside `spans` (message text; a template never writes one itself), in text order.
std::vector<Marker> markers_in(const std::string& text, const std::vector<std::pair<size_t, size_t>>& spans, bool regions) {
  std::vector<Marker> out;
  for (auto [b, e] : spans) {
    for (size_t m : offsets_of(text, kImageMarker, b, e)) out.push_back({m, std::string(kImageMarker).size(), false});
    if (regions)
      for (size_t m : offsets_of(text, kRegionMarker, b, e)) out.push_back({m, std::string(kRegionMarker).size(), true});
  }
  std::sort(out.begin(), out.end(), [](const Marker& a, const Marker& b) { return a.at < b.at; });
  return out;
}

// `spans` with the marker ranges cut out (so the markers are parsed as tokens).
std::vector<std::pair<size_t, size_t>> without(const std::vector<std::pair<size_t, size_t>>& spans,
                                               const std::vector<Marker>& markers) {
  std::vector<std::pair<size_t, size_t>> out;
  for (auto [b, e] : spans) {
    size_t cur = b;
    for (const Marker& m : markers)
      if (m.at >= cur && m.at + m.len <= e) {
        if (m.at > cur) out.emplace_back(cur, m.at);
        cur = m.at + m.len;
      }
    if (cur < e) out.emplace_back(cur, e);
  }
  return out;
}

// The text with every region marker written as an image marker, spans and markers moved with it
// (a span never starts or ends inside a marker).
void regions_as_images(std::string& text, std::vector<std::pair<size_t, size_t>>& spans, std::vector<Marker>& markers) {
  const size_t image_len = std::string(kImageMarker).size();
  std::vector<std::pair<size_t, size_t>> ends;  // (old end of a marker, its old length)
  std::string out;
  size_t from = 0;
  for (Marker& m : markers) {
    out += text.substr(from, m.at - from);
    from = m.at + m.len;
    ends.emplace_back(from, m.len);
    m.at = out.size();
    m.len = image_len;
    out += kImageMarker;
  }
  out += text.substr(from);
  auto moved = [&](size_t p) {
    size_t q = p;
    for (auto [end, len] : ends)
      if (end <= p) q = q - len + image_len;
    return q;
  };
  for (auto& [b, e] : spans) b = moved(b), e = moved(e);
  text = std::move(out);
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

void check_count(const char* marker, size_t markers, int64_t given, const char* what) {
  if (static_cast<int64_t>(markers) != given)
    throw InputError("the prompt has " + std::to_string(markers) + " " + marker + " marker" + (markers == 1 ? "" : "s") + " but " +
                     std::to_string(given) + " " + what + (given == 1 ? " was" : "s were") + " given");
}

}  // namespace

MediaPrompt encode_media_prompt(const text::Tokenizer& tok, const std::string& prompt, const MediaPromptOptions& o) {
  if (o.layout == PromptLayout::Kosmos2) return encode_kosmos2_prompt(tok, prompt, o);
  if (o.images > 0 && o.rows_per_image < 1) throw InputError("the pipeline gives no media rows per image");
  const bool regions = o.rows_per_region > 0;
  if (o.regions > 0 && !regions) throw InputError("the pipeline takes no regions (no input of type boxes)");
  // The full text, the spans whose special-token literals stay text, and whether BOS is added by
  // the tokenizer (raw) or written by the template (chat).
  std::string text;
  std::vector<std::pair<size_t, size_t>> literal;
  bool add_special = false;
  if (o.chat) {
    std::string user = prompt;
    bool marked = !offsets_of(prompt, kImageMarker, 0, prompt.size()).empty();
    for (const auto& m : o.history) marked = marked || !offsets_of(m.content, kImageMarker, 0, m.content.size()).empty();
    if (o.images > 0 && !marked) {
      std::string lead;
      for (int64_t i = 0; i < o.images; ++i) lead += std::string(kImageMarker) + "\n";
      user = lead + prompt;
    }
    std::vector<ChatMessage> messages;
    if (!o.system.empty()) messages.push_back({"system", o.system});
    messages.insert(messages.end(), o.history.begin(), o.history.end());
    messages.push_back({"user", user});
    RenderedChat r = o.chat->render(messages, true, bos_literal(tok), eos_literal(tok));
    text = r.text;
    literal = r.message_spans;
  } else {
    text = prompt;
    literal = {{0, text.size()}};
    add_special = true;
  }
  std::vector<Marker> markers = markers_in(text, literal, regions);
  const auto n_regions = static_cast<size_t>(std::count_if(markers.begin(), markers.end(), [](const Marker& m) { return m.region; }));
  check_count(kImageMarker, markers.size() - n_regions, o.images, "image");
  if (regions) check_count(kRegionMarker, n_regions, o.regions, "region");
  if (n_regions > 0) regions_as_images(text, literal, markers);

  MediaPrompt out;
  out.images = o.images;
  out.regions = o.regions;
  out.instruction = instruction_of(prompt);
  int64_t next_image_row = 0, next_region_row = o.images * o.rows_per_image;
  size_t next_marker = 0;
  auto append_media = [&] {
    const bool region = next_marker < markers.size() && markers[next_marker].region;
    ++next_marker;
    if (region) {
      for (int64_t r = 0; r < o.rows_per_region; ++r) out.ids.push_back(static_cast<int32_t>(-1 - next_region_row++));
    } else {
      for (int64_t r = 0; r < o.rows_per_image; ++r) out.ids.push_back(static_cast<int32_t>(-1 - next_image_row++));
    }
  };
  const auto image_id = tok.token_id(kImageMarker);
  if (image_id && tok.is_special(*image_id)) {
    text::EncodeOptions eo;
    eo.add_special = add_special;
    eo.parse_special = true;
    eo.literal_spans = without(literal, markers);
    for (int32_t id : tok.encode(text, eo)) {
      if (id == *image_id) append_media();
      else out.ids.push_back(id);
    }
    return out;
  }
  // No <image> token: pieces between markers encoded separately (LLaVA's tokenizer_image_token).
  size_t begin = 0;
  for (size_t k = 0; k <= markers.size(); ++k) {
    const size_t end = k < markers.size() ? markers[k].at : text.size();
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
    if (k < markers.size()) {
      append_media();
      begin = end + markers[k].len;
    }
  }
  return out;
}

}  // namespace facet::llm
