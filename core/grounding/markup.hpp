// Helpers the box-format parsers share: code-point text (spans count code points, as Python's
// string indices do), literal matching, numbers, and adding a checked box to an entity.
#pragma once

#include <string>
#include <string_view>

#include "grounding/box.hpp"
#include "grounding/frame.hpp"

namespace facet::grounding::markup {

std::u32string to_u32(const std::string& s);  // invalid UTF-8: InputError naming the model's text
std::string to_u8(const std::u32string& s);

// Python's str.isspace (what strip() removes).
bool py_space(char32_t c);
std::u32string_view py_strip(std::u32string_view s);

inline bool at(const std::u32string& s, size_t i, std::u32string_view lit) {
  return i <= s.size() && s.compare(i, lit.size(), lit) == 0;
}
// An unsigned decimal integer of ASCII digits at s[i..] (advances i); false when none, or over 9 digits.
bool read_uint(const std::u32string& s, size_t& i, int64_t& value);
// A decimal number ([-+]digits[.digits] or .digits) at s[i..] (advances i).
bool read_number(const std::u32string& s, size_t& i, double& value);
void skip_spaces(const std::u32string& s, size_t& i);

// A box given in the seen image's pixels: corners in the wrong order are swapped, an empty or
// non-finite box is dropped (each with a warning naming `what`); the rest is mapped to the
// original image and added to `entity`.
void add_box(Grounding& g, Entity& entity, Box seen, const Frame& frame, const std::string& what);

}  // namespace facet::grounding::markup

namespace facet::grounding::markup {

// The cleaned text as a parser writes it, with the spans of its entities.
struct Cleaned {
  std::u32string out;
  size_t floor = 0;  // where the next phrase may start at the earliest (after the previous box)

  // Removes the spaces at the end of `out` (before markup that is dropped).
  void trim_end() {
    while (!out.empty() && py_space(out.back())) out.pop_back();
  }
  // An entity for out[begin, end), trimmed of spaces.
  Entity entity(size_t begin, size_t end) const;
  // Strips the text and moves the spans with it.
  void finish(Grounding& g) const;
};

}  // namespace facet::grounding::markup
