// Florence-2 boxes: a phrase followed by location tokens <loc_0>..<loc_999>, four per box (x1, y1,
// x2, y2), 1000 bins per side of the image the model saw, each decoded at its bin's centre. Several
// boxes may follow one phrase. The cleaned text drops the location tokens and <s>, </s>, <pad>;
// the phrase of a box is the text between the previous location tokens and its own.
#include "grounding/formats.hpp"
#include "grounding/markup.hpp"

namespace facet::grounding {

namespace {

using namespace markup;

bool read_loc(const std::u32string& s, size_t& i, int64_t& bin) {
  size_t j = i;
  if (!at(s, j, U"<loc_")) return false;
  j += 5;
  if (!read_uint(s, j, bin) || !at(s, j, U">")) return false;
  i = j + 1;
  return true;
}

}  // namespace

Grounding parse_florence2(const std::string& text, const Frame& frame) {
  const std::u32string s = to_u32(text);
  Grounding g;
  Cleaned c;
  for (size_t i = 0; i < s.size();) {
    std::vector<int64_t> bins;
    int64_t bin = 0;
    while (read_loc(s, i, bin)) bins.push_back(bin);
    if (bins.empty()) {
      bool dropped = false;
      for (std::u32string_view tag : {U"<s>", U"</s>", U"<pad>"})
        if (at(s, i, tag)) i += tag.size(), dropped = true;
      if (!dropped) c.out += s[i++];
      continue;
    }
    const size_t end = c.out.size();
    Entity e = c.entity(c.floor, end);
    const std::string what = "florence2 box of '" + e.phrase + "'";
    if (bins.size() % 4 != 0)
      g.warnings.push_back(what + ": " + std::to_string(bins.size()) + " location tokens are not whole boxes of 4; the rest dropped");
    for (size_t k = 0; k + 4 <= bins.size(); k += 4) {
      bool in_range = true;
      for (size_t q = k; q < k + 4; ++q) in_range = in_range && bins[q] <= 999;
      if (!in_range) {
        g.warnings.push_back(what + ": a location token past <loc_999>; box dropped");
        continue;
      }
      auto at_x = [&](int64_t b) { return (static_cast<double>(b) + 0.5) / 1000.0 * frame.seen_width; };
      auto at_y = [&](int64_t b) { return (static_cast<double>(b) + 0.5) / 1000.0 * frame.seen_height; };
      add_box(g, e, {at_x(bins[k]), at_y(bins[k + 1]), at_x(bins[k + 2]), at_y(bins[k + 3])}, frame, what);
    }
    if (!e.boxes.empty()) g.entities.push_back(std::move(e));
    if (i < s.size() && !py_space(s[i]) && !at(s, i, U"</s>")) c.out += U' ';  // "car<loc..>person": two phrases
    c.floor = c.out.size();
  }
  c.finish(g);
  return g;
}

}  // namespace facet::grounding
