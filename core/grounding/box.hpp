// What grounding produces: entities (a phrase of the model's text and the boxes it points at) in
// pixels of the original image (after EXIF orientation), and the model's text with the location
// markup removed. Spans count Unicode code points of `text`, as Python's string indices do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace facet::grounding {

// A box in pixels, x1 < x2 and y1 < y2 once parsed. `clipped`: part of it lay outside the original
// image (e.g. in a padded band or outside a center crop) and was cut to the image.
struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  bool clipped = false;
};

struct Entity {
  std::string phrase;
  int64_t start = 0, end = 0;  // [start, end) in code points of Grounding::text
  std::vector<Box> boxes;
};

struct Grounding {
  std::string text;               // the cleaned text
  std::vector<Entity> entities;   // in order of appearance
  std::vector<std::string> warnings;  // malformed, truncated or out-of-range box text that was dropped or repaired
};

}  // namespace facet::grounding
