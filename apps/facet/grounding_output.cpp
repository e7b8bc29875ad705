#include "grounding_output.hpp"

#include <sstream>

#include "util/error.hpp"

namespace facet::cli {

grounding::Box parse_region(const std::string& s) {
  grounding::Box b;
  char c1 = 0, c2 = 0, c3 = 0;
  std::istringstream in(s);
  if (!(in >> b.x1 >> c1 >> b.y1 >> c2 >> b.x2 >> c3 >> b.y2) || c1 != ',' || c2 != ',' || c3 != ',' || !(in >> std::ws).eof())
    throw UsageError("--region must be X1,Y1,X2,Y2 in pixels of the image, got '" + s + "'");
  return b;
}

std::string box_text(const grounding::Box& b) {
  std::ostringstream s;
  s.precision(1);
  s << std::fixed << "[" << b.x1 << ", " << b.y1 << ", " << b.x2 << ", " << b.y2 << "]" << (b.clipped ? " (clipped)" : "");
  return s.str();
}

void print_entities(std::ostream& out, const grounding::Grounding& g) {
  for (const auto& e : g.entities) {
    out << "  " << (e.phrase.empty() ? "(no phrase)" : e.phrase) << ":";
    for (const auto& b : e.boxes) out << " " << box_text(b);
    out << "\n";
  }
}

}  // namespace facet::cli
