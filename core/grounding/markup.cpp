#include "grounding/markup.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "text/unicode.hpp"

namespace facet::grounding::markup {

std::u32string to_u32(const std::string& s) { return text::decode_utf8(s, "the model's text"); }
std::string to_u8(const std::u32string& s) { return text::encode_utf8(s); }

bool py_space(char32_t c) { return text::is_whitespace(c) || (c >= 0x1c && c <= 0x1f); }

std::u32string_view py_strip(std::u32string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && py_space(s[b])) ++b;
  while (e > b && py_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool read_uint(const std::u32string& s, size_t& i, int64_t& value) {
  size_t j = i;
  value = 0;
  while (j < s.size() && s[j] >= U'0' && s[j] <= U'9' && j - i < 9) value = value * 10 + (s[j++] - U'0');
  if (j == i || (j < s.size() && s[j] >= U'0' && s[j] <= U'9')) return false;
  i = j;
  return true;
}

bool read_number(const std::u32string& s, size_t& i, double& value) {
  size_t j = i;
  std::string ascii;
  if (j < s.size() && (s[j] == U'-' || s[j] == U'+')) ascii += static_cast<char>(s[j++]);
  size_t digits = 0;
  auto take_digits = [&] {
    while (j < s.size() && s[j] >= U'0' && s[j] <= U'9' && ascii.size() < 32) ascii += static_cast<char>(s[j++]), ++digits;
  };
  take_digits();
  if (j < s.size() && s[j] == U'.') ascii += static_cast<char>(s[j++]), take_digits();
  if (digits == 0) return false;
  value = std::strtod(ascii.c_str(), nullptr);
  i = j;
  return true;
}

void skip_spaces(const std::u32string& s, size_t& i) {
  while (i < s.size() && py_space(s[i])) ++i;
}

void add_box(Grounding& g, Entity& entity, Box b, const Frame& frame, const std::string& what) {
  if (!std::isfinite(b.x1) || !std::isfinite(b.y1) || !std::isfinite(b.x2) || !std::isfinite(b.y2)) {
    g.warnings.push_back(what + ": a coordinate is not a finite number; box dropped");
    return;
  }
  if (b.x1 > b.x2 || b.y1 > b.y2) {
    g.warnings.push_back(what + ": corners in the wrong order; swapped");
    if (b.x1 > b.x2) std::swap(b.x1, b.x2);
    if (b.y1 > b.y2) std::swap(b.y1, b.y2);
  }
  Box o = frame.to_original(b);
  if (!(o.x1 < o.x2) || !(o.y1 < o.y2)) {
    g.warnings.push_back(what + ": the box is empty" + std::string(o.clipped ? " inside the original image" : "") +
                         "; dropped");
    return;
  }
  entity.boxes.push_back(o);
}

}  // namespace facet::grounding::markup

namespace facet::grounding::markup {

Entity Cleaned::entity(size_t begin, size_t end) const {
  while (begin < end && py_space(out[begin])) ++begin;
  while (end > begin && py_space(out[end - 1])) --end;
  Entity e;
  e.phrase = to_u8(out.substr(begin, end - begin));
  e.start = static_cast<int64_t>(begin), e.end = static_cast<int64_t>(end);
  return e;
}

void Cleaned::finish(Grounding& g) const {
  const std::u32string_view stripped = py_strip(out);
  const int64_t lead = static_cast<int64_t>(stripped.empty() ? out.size() : stripped.data() - out.data());
  const int64_t size = static_cast<int64_t>(stripped.size());
  for (Entity& e : g.entities) {
    e.start = std::clamp<int64_t>(e.start - lead, 0, size);
    e.end = std::clamp<int64_t>(e.end - lead, e.start, size);
  }
  g.text = to_u8(std::u32string(stripped));
}

}  // namespace facet::grounding::markup
