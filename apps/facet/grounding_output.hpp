// What facet ground and facet run share about boxes on the command line: --region values, and a
// grounding result as text lines (JSON: grounding/json.hpp; drawing: grounding/draw.hpp).
#pragma once

#include <ostream>
#include <string>

#include "grounding/box.hpp"

namespace facet::cli {

// "X1,Y1,X2,Y2" in pixels of the image; UsageError otherwise.
grounding::Box parse_region(const std::string& text);
// "[x1, y1, x2, y2]" with one decimal, " (clipped)" when cut to the image.
std::string box_text(const grounding::Box& box);
// One line per entity: "  phrase: [box] [box]".
void print_entities(std::ostream& out, const grounding::Grounding& grounding);

}  // namespace facet::cli
