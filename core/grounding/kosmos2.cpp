// Kosmos-2's grounded text, as Kosmos2Processor.post_process_generation reads it: the caption is
// the text after the last </image>; the cleaned text drops every "<...>" (a '<' up to the next '>'
// on the same line); an entity is an optional <phrase>P</phrase> (P without '<') followed by
// <object>, patch-index pairs joined by </delimiter_of_multi_objects/>, </object>; an object
// without a phrase gives one entity per box named "<patch_index_A><patch_index_B>" (no zero
// padding) at the object's position; spans are then counted in the cleaned text, and leading and
// trailing white space is stripped from the text and from each phrase (spans moved with it).
// Boxes: the pair (upper-left cell, lower-right cell) of a 32 x 32 grid; box corners at cell
// corners when the cells share a row or column, else at cell centres.
#include <cmath>

#include "grounding/formats.hpp"
#include "grounding/markup.hpp"

namespace facet::grounding {

namespace {

using namespace markup;
constexpr int64_t kGrid = 32;

// re.sub("<.*?>", "", s): '.' does not match a newline.
std::u32string remove_special_fields(std::u32string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == U'<') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != U'>' && s[j] != U'\n') ++j;
      if (j < s.size() && s[j] == U'>') {
        i = j;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// <patch_index_\d+><patch_index_\d+> at s[i..] (advances i).
bool read_pair(const std::u32string& s, size_t& i, int64_t& a, int64_t& b) {
  size_t j = i;
  for (int64_t* v : {&a, &b}) {
    if (!at(s, j, U"<patch_index_")) return false;
    j += 13;
    if (!read_uint(s, j, *v) || !at(s, j, U">")) return false;
    ++j;
  }
  i = j;
  return true;
}

struct Match {
  bool has_phrase = false;
  size_t phrase_begin = 0, phrase_end = 0, end = 0;
  std::vector<std::pair<int64_t, int64_t>> pairs;
};

// The object part (from "<object>") at s[i..].
bool read_object(const std::u32string& s, size_t i, Match& m) {
  if (!at(s, i, U"<object>")) return false;
  i += 8;
  for (;;) {
    int64_t a = 0, b = 0;
    if (!read_pair(s, i, a, b)) return false;
    m.pairs.emplace_back(a, b);
    if (at(s, i, U"</object>")) {
      m.end = i + 9;
      return true;
    }
    if (!at(s, i, U"</delimiter_of_multi_objects/>")) return false;
    i += 30;
  }
}

bool match_at(const std::u32string& s, size_t i, Match& m) {
  if (at(s, i, U"<phrase>")) {
    size_t j = i + 8;
    while (j < s.size() && s[j] != U'<') ++j;
    if (j > i + 8 && at(s, j, U"</phrase>")) {
      m = Match{true, i + 8, j, 0, {}};
      if (read_object(s, j + 9, m)) return true;
    }
    return false;
  }
  m = Match{};
  return read_object(s, i, m);
}

Box cell_box(int64_t ul, int64_t lr, const Frame& f) {
  const double cell = 1.0 / static_cast<double>(kGrid);
  const int64_t ux = ul % kGrid, uy = ul / kGrid, lx = lr % kGrid, ly = lr / kGrid;
  Box b;
  if (ul == lr || ux == lx || uy == ly) {
    b = {ux * cell, uy * cell, lx * cell + cell, ly * cell + cell};
  } else {
    b = {ux * cell + cell / 2, uy * cell + cell / 2, lx * cell + cell / 2, ly * cell + cell / 2};
  }
  return {b.x1 * f.seen_width, b.y1 * f.seen_height, b.x2 * f.seen_width, b.y2 * f.seen_height};
}

int64_t cleaned_length(const std::u32string& s, size_t end) {
  return static_cast<int64_t>(remove_special_fields(std::u32string_view(s).substr(0, end)).size());
}

}  // namespace

Grounding parse_kosmos2(const std::string& text, const Frame& frame) {
  std::u32string all = to_u32(text);
  const size_t image_end = all.rfind(U"</image>");
  const std::u32string s = image_end == std::u32string::npos ? all : all.substr(image_end + 8);
  Grounding g;
  const std::u32string processed = remove_special_fields(s);
  size_t leading = 0;
  while (leading < processed.size() && py_space(processed[leading])) ++leading;
  for (size_t i = 0; i < s.size();) {
    Match m;
    if (s[i] != U'<' || !match_at(s, i, m)) {
      ++i;
      continue;
    }
    auto add = [&](std::u32string name, size_t begin, size_t end, const std::vector<std::pair<int64_t, int64_t>>& pairs) {
      Entity e;
      const int64_t start = cleaned_length(s, begin), stop = cleaned_length(s, end);
      size_t lws = 0, tws = 0;
      while (lws < name.size() && py_space(name[lws])) ++lws;
      while (tws < name.size() - lws && py_space(name[name.size() - 1 - tws])) ++tws;
      e.start = start - static_cast<int64_t>(leading) + static_cast<int64_t>(lws);
      e.end = stop - static_cast<int64_t>(leading) - static_cast<int64_t>(tws);
      e.phrase = to_u8(std::u32string(py_strip(name)));
      for (auto [ul, lr] : pairs) {
        if (ul >= kGrid * kGrid || lr >= kGrid * kGrid) {
          g.warnings.push_back("kosmos2: patch index pair (" + std::to_string(ul) + ", " + std::to_string(lr) +
                               ") is outside the 32 x 32 grid; box dropped");
          continue;
        }
        add_box(g, e, cell_box(ul, lr, frame), frame, "kosmos2 entity '" + e.phrase + "'");
      }
      g.entities.push_back(std::move(e));
    };
    if (m.has_phrase) {
      add(s.substr(m.phrase_begin, m.phrase_end - m.phrase_begin), m.phrase_begin, m.phrase_end, m.pairs);
    } else {
      for (auto pair : m.pairs) {
        std::string name = "<patch_index_" + std::to_string(pair.first) + "><patch_index_" + std::to_string(pair.second) + ">";
        add(to_u32(name), i, i, {pair});
      }
    }
    i = m.end;
  }
  g.text = to_u8(std::u32string(py_strip(processed)));
  // A phrase or object the model began but did not finish.
  const size_t open = s.rfind(U"<object>"), close = s.rfind(U"</object>");
  if (open != std::u32string::npos && (close == std::u32string::npos || close < open))
    g.warnings.push_back("kosmos2: the text ends inside an <object> (cut short); its boxes are dropped");
  return g;
}

}  // namespace facet::grounding
