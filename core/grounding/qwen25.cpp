// Qwen2.5-VL boxes: JSON objects with "bbox_2d": [x1, y1, x2, y2] in pixels of the image after
// smart_resize, and a "label", usually a list in a ```json fence. Each object with a bbox_2d is
// read on its own, so a list the model did not finish still gives the objects it did. The text is
// kept as written (there are no location tokens to remove); an entity's span is its label's first
// occurrence inside its object.
#include <nlohmann/json.hpp>

#include "grounding/formats.hpp"
#include "grounding/markup.hpp"

namespace facet::grounding {

namespace {

using namespace markup;

// The index just past the '}' matching the '{' at s[i], or npos when the text ends first.
size_t object_end(const std::string& s, size_t i) {
  int depth = 0;
  bool in_string = false;
  for (size_t j = i; j < s.size(); ++j) {
    const char ch = s[j];
    if (in_string) {
      if (ch == '\\') ++j;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{') {
      ++depth;
    } else if (ch == '}' && --depth == 0) {
      return j + 1;
    }
  }
  return std::string::npos;
}

int64_t code_points(const std::string& s, size_t bytes) {
  int64_t n = 0;
  for (size_t i = 0; i < bytes && i < s.size(); ++i) n += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  return n;
}

}  // namespace

Grounding parse_qwen25(const std::string& text, const Frame& frame) {
  Grounding g;
  to_u32(text);  // valid UTF-8, or InputError
  for (size_t i = text.find('{'); i != std::string::npos; i = text.find('{', i + 1)) {
    const size_t end = object_end(text, i);
    if (end == std::string::npos) {
      if (text.find("bbox_2d", i) != std::string::npos)
        g.warnings.push_back("qwen2.5: the text ends inside a JSON object with a bbox_2d (cut short); dropped");
      break;
    }
    const nlohmann::json j = nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(i),
                                                   text.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
    if (!j.is_object() || !j.contains("bbox_2d")) continue;  // not ours: look inside it
    Entity e;
    if (j.contains("label") && j["label"].is_string()) e.phrase = j["label"].get<std::string>();
    const std::string what = "qwen2.5 object '" + e.phrase + "'";
    const nlohmann::json& b = j["bbox_2d"];
    bool ok = b.is_array() && b.size() == 4;
    for (size_t k = 0; ok && k < 4; ++k) ok = b[k].is_number();
    if (!ok) {
      g.warnings.push_back(what + ": bbox_2d is not a list of 4 numbers; dropped");
    } else {
      const double x1 = b[0].get<double>(), y1 = b[1].get<double>(), x2 = b[2].get<double>(), y2 = b[3].get<double>();
      const bool in_range = x1 >= 0 && x2 >= 0 && y1 >= 0 && y2 >= 0 && x1 <= frame.seen_width && x2 <= frame.seen_width &&
                            y1 <= frame.seen_height && y2 <= frame.seen_height;
      if (!in_range) g.warnings.push_back(what + ": bbox_2d lies partly outside the " + std::to_string(int64_t(frame.seen_width)) +
                                          "x" + std::to_string(int64_t(frame.seen_height)) + " image the model saw; cut to it");
      add_box(g, e, {x1, y1, x2, y2}, frame, what);
    }
    const size_t at_label = e.phrase.empty() ? std::string::npos : text.find(e.phrase, i);
    const size_t from = at_label != std::string::npos && at_label < end ? at_label : i;
    e.start = code_points(text, from);
    e.end = e.start + (from == at_label ? code_points(e.phrase, e.phrase.size()) : 0);
    if (!e.boxes.empty()) g.entities.push_back(std::move(e));
    i = end - 1;
  }
  g.text = text;
  return g;
}

}  // namespace facet::grounding
