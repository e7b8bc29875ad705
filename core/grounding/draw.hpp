// Drawing a grounding result onto its image: each entity's boxes outlined in its own colour
// (a palette of distinct hues, cycled), its phrase written on a filled label above the box (inside
// it when there is no room above), lines and letters scaled with the image so both stay readable.
// Labels show printable ASCII; other characters are drawn as '?'.
#pragma once

#include <array>
#include <cstdint>

#include "grounding/box.hpp"
#include "io/image.hpp"

namespace facet::grounding {

struct DrawStyle {
  int line = 0;   // outline width in pixels; 0: from the image size (at least 2)
  int scale = 0;  // letter scale (1 = 7-pixel capitals); 0: from the image size
};

io::RgbImage draw(const io::RgbImage& image, const Grounding& grounding, const DrawStyle& style = {});
// The colour entity `index` is drawn in.
std::array<uint8_t, 3> entity_colour(size_t index);

}  // namespace facet::grounding
