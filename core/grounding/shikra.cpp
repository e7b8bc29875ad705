// Shikra / LLaVA-1.5-style boxes: "[x1,y1,x2,y2]" as fractions of the image the model saw (3
// decimals by convention, any decimal accepted), several boxes in one pair of brackets joined by
// ';' (or ','). A bracket group that holds anything but numbers and separators is text, not a box.
// The phrase of a box is the text before it, back to the previous box or to sentence punctuation
// (. , ; : ! ? or a line break); the cleaned text drops the brackets and the spaces before them.
#include "grounding/formats.hpp"
#include "grounding/markup.hpp"

namespace facet::grounding {

namespace {

using namespace markup;

bool boundary(char32_t c) {
  return c == U'.' || c == U',' || c == U';' || c == U':' || c == U'!' || c == U'?' || c == U'\n';
}

// Numbers of a bracket group starting after '[' at s[i]; `closed` is false when the text ends first.
bool read_group(const std::u32string& s, size_t& i, std::vector<double>& nums, bool& closed) {
  closed = false;
  for (;;) {
    skip_spaces(s, i);
    if (i >= s.size()) return !nums.empty();
    if (s[i] == U']') {
      ++i;
      closed = true;
      return !nums.empty();
    }
    double v = 0;
    if (!read_number(s, i, v)) return false;
    nums.push_back(v);
    skip_spaces(s, i);
    if (i < s.size() && (s[i] == U',' || s[i] == U';')) ++i;
    else if (i < s.size() && s[i] != U']') return false;
  }
}

}  // namespace

Grounding parse_shikra(const std::string& text, const Frame& frame) {
  const std::u32string s = to_u32(text);
  Grounding g;
  Cleaned c;
  for (size_t i = 0; i < s.size();) {
    std::vector<double> nums;
    bool closed = false;
    size_t j = i + 1;
    if (s[i] != U'[' || !read_group(s, j, nums, closed) || (closed && nums.size() < 4)) {  // "[1]" is a footnote
      c.out += s[i++];
      continue;
    }
    c.trim_end();
    size_t begin = c.out.size();
    while (begin > c.floor && !boundary(c.out[begin - 1])) --begin;
    Entity e = c.entity(begin, c.out.size());
    const std::string what = "shikra box after '" + e.phrase + "'";
    if (!closed) g.warnings.push_back(what + ": the text ends inside the brackets (cut short)");
    else if (nums.size() % 4 != 0)
      g.warnings.push_back(what + ": " + std::to_string(nums.size()) + " numbers are not whole boxes of 4; the rest dropped");
    for (size_t k = 0; k + 4 <= nums.size(); k += 4) {
      bool in_range = true;
      for (size_t q = k; q < k + 4; ++q) in_range = in_range && nums[q] >= 0.0 && nums[q] <= 1.0;
      if (!in_range) {
        g.warnings.push_back(what + ": coordinates outside [0, 1]; box dropped");
        continue;
      }
      add_box(g, e, {nums[k] * frame.seen_width, nums[k + 1] * frame.seen_height, nums[k + 2] * frame.seen_width,
                     nums[k + 3] * frame.seen_height},
              frame, what);
    }
    if (!e.boxes.empty()) g.entities.push_back(std::move(e));
    c.floor = c.out.size();
    i = j;
  }
  c.finish(g);
  return g;
}

}  // namespace facet::grounding
