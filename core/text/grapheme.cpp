#include "text/grapheme.hpp"

#include <algorithm>
#include <cstdint>

#include "text/unicode_data.hpp"

namespace facet::text {

namespace {

enum Break : uint8_t { Other, CR, LF, Control, Extend, ZWJ, RegionalIndicator, Prepend, SpacingMark, L, V, T, LV, LVT };
constexpr uint8_t kPictographic = 0x10;

uint8_t property(char32_t c) {
  const auto* end = data::kGraphemeRuns + data::kGraphemeRunCount;
  auto it = std::upper_bound(data::kGraphemeRuns, end, c, [](char32_t v, const data::Run& r) { return v < r.start; });
  return it == data::kGraphemeRuns ? 0 : (it - 1)->value;
}

}  // namespace

const char* grapheme_unicode_version() { return data::kGraphemeVersion; }

size_t grapheme_end(std::u32string_view s, size_t begin) {
  uint8_t p = property(s[begin]);
  Break prev = static_cast<Break>(p & 0xF);
  // GB11: inside "ExtPict Extend*", and whether that was just followed by ZWJ.
  bool pict_run = p & kPictographic, pict_zwj = false;
  int regional = prev == RegionalIndicator ? 1 : 0;  // regional indicators in a row so far
  size_t i = begin + 1;
  for (; i < s.size(); ++i) {
    uint8_t q = property(s[i]);
    Break cur = static_cast<Break>(q & 0xF);
    bool pict = q & kPictographic;
    bool join;
    if (prev == CR && cur == LF) join = true;                                              // GB3
    else if (prev == CR || prev == LF || prev == Control) join = false;                    // GB4
    else if (cur == CR || cur == LF || cur == Control) join = false;                       // GB5
    else if (prev == L && (cur == L || cur == V || cur == LV || cur == LVT)) join = true;  // GB6
    else if ((prev == LV || prev == V) && (cur == V || cur == T)) join = true;             // GB7
    else if ((prev == LVT || prev == T) && cur == T) join = true;                          // GB8
    else if (cur == Extend || cur == ZWJ || cur == SpacingMark) join = true;               // GB9, GB9a
    else if (prev == Prepend) join = true;                                                 // GB9b
    else if (pict_zwj && pict) join = true;                                                // GB11
    else if (prev == RegionalIndicator && cur == RegionalIndicator) join = regional % 2 == 1;  // GB12, GB13
    else join = false;
    if (!join) break;
    pict_zwj = pict_run && cur == ZWJ;
    pict_run = pict || (pict_run && cur == Extend);
    regional = cur == RegionalIndicator ? regional + 1 : 0;
    prev = cur;
  }
  return i;
}

}  // namespace facet::text
