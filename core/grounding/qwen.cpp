// Qwen-VL and Qwen2-VL boxes: a reference <ref>P</ref> (Qwen2-VL: <|object_ref_start|>P<|object_ref_end|>)
// followed by one or more <box>(x1,y1),(x2,y2)</box> (Qwen2-VL: <|box_start|>...<|box_end|>),
// integers on a 0-1000 grid of the image the model saw. A box without a reference before it gets
// the phrase of the previous reference if it follows that one's boxes directly, else an empty
// phrase. The cleaned text keeps the phrases and drops the tags and boxes.
#include "grounding/formats.hpp"
#include "grounding/markup.hpp"

namespace facet::grounding {

namespace {

using namespace markup;

struct Tags {
  std::u32string ref_open, ref_close, box_open, box_close;
};

// "(x1,y1),(x2,y2)" then the closing tag, at s[i..] (advances i past what was read).
bool read_box(const std::u32string& s, size_t& i, const std::u32string& close, double v[4]) {
  for (int corner = 0; corner < 2; ++corner) {
    skip_spaces(s, i);
    if (corner == 1) {
      if (i >= s.size() || s[i] != U',') return false;
      ++i, skip_spaces(s, i);
    }
    if (i >= s.size() || s[i] != U'(') return false;
    ++i;
    for (int k = 0; k < 2; ++k) {
      skip_spaces(s, i);
      if (k == 1) {
        if (i >= s.size() || s[i] != U',') return false;
        ++i, skip_spaces(s, i);
      }
      if (!read_number(s, i, v[corner * 2 + k])) return false;
    }
    skip_spaces(s, i);
    if (i >= s.size() || s[i] != U')') return false;
    ++i;
  }
  skip_spaces(s, i);
  if (!at(s, i, close)) return false;
  i += close.size();
  return true;
}

}  // namespace

Grounding parse_qwen(const std::string& text, const Frame& frame, bool qwen2) {
  const Tags t = qwen2 ? Tags{U"<|object_ref_start|>", U"<|object_ref_end|>", U"<|box_start|>", U"<|box_end|>"}
                       : Tags{U"<ref>", U"</ref>", U"<box>", U"</box>"};
  const char* name = qwen2 ? "qwen2" : "qwen";
  const std::u32string s = to_u32(text);
  Grounding g;
  Cleaned c;
  Entity pending;  // the last reference, until its boxes end
  bool have_ref = false;
  bool boxed = false;  // a box followed the pending reference: text after it ends the reference
  auto flush = [&] {
    if (have_ref && !pending.boxes.empty()) g.entities.push_back(pending);
    have_ref = boxed = false;
    pending = Entity{};
  };
  for (size_t i = 0; i < s.size();) {
    if (at(s, i, t.ref_open)) {
      flush();
      const size_t close = s.find(t.ref_close, i + t.ref_open.size());
      const size_t stop = close == std::u32string::npos ? s.size() : close;
      const size_t begin = c.out.size();
      c.out.append(s, i + t.ref_open.size(), stop - i - t.ref_open.size());
      pending = c.entity(begin, c.out.size());
      have_ref = true;
      if (close == std::u32string::npos) g.warnings.push_back(std::string(name) + ": the text ends inside a reference (cut short)");
      i = close == std::u32string::npos ? s.size() : close + t.ref_close.size();
      continue;
    }
    if (at(s, i, t.box_open)) {
      size_t j = i + t.box_open.size();
      double v[4] = {0, 0, 0, 0};
      if (!read_box(s, j, t.box_close, v)) {
        g.warnings.push_back(std::string(name) + ": malformed or cut-short box text at character " + std::to_string(i) + "; dropped");
        const size_t close = s.find(t.box_close, i);
        boxed = have_ref;
        i = close == std::u32string::npos ? s.size() : close + t.box_close.size();
        continue;
      }
      if (!have_ref) {  // a box with no reference of its own
        pending = Entity{};
        pending.start = pending.end = static_cast<int64_t>(c.out.size());
        have_ref = true;
      }
      const std::string what = std::string(name) + " box of '" + pending.phrase + "'";
      bool in_range = true;
      for (double x : v) in_range = in_range && x >= 0 && x <= 1000;
      if (!in_range) g.warnings.push_back(what + ": coordinates outside the 0-1000 grid; box dropped");
      else
        add_box(g, pending, {v[0] / 1000 * frame.seen_width, v[1] / 1000 * frame.seen_height, v[2] / 1000 * frame.seen_width,
                             v[3] / 1000 * frame.seen_height},
                frame, what);
      boxed = true;
      i = j;
      continue;
    }
    if (boxed && !py_space(s[i])) flush();
    c.out += s[i++];
  }
  flush();
  c.finish(g);
  return g;
}

}  // namespace facet::grounding
