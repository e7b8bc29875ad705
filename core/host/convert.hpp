// Between the host API's public result types and core's (internal to libfacet and its CLI).
#pragma once

#include <facet/facet.hpp>

#include "grounding/box.hpp"

namespace facet {

inline grounding::Box to_core(const Box& b) { return {b.x1, b.y1, b.x2, b.y2, b.clipped}; }
inline Box to_public(const grounding::Box& b) { return {b.x1, b.y1, b.x2, b.y2, b.clipped}; }

inline grounding::Grounding to_core(const Grounding& g) {
  grounding::Grounding out{g.text, {}, g.warnings};
  for (const auto& e : g.entities) {
    grounding::Entity x{e.phrase, e.start, e.end, {}};
    for (const auto& b : e.boxes) x.boxes.push_back(to_core(b));
    out.entities.push_back(std::move(x));
  }
  return out;
}

inline Grounding to_public(const grounding::Grounding& g, std::string raw) {
  Grounding out{g.text, std::move(raw), {}, g.warnings, 0, 0};
  for (const auto& e : g.entities) {
    Entity x{e.phrase, e.start, e.end, {}};
    for (const auto& b : e.boxes) x.boxes.push_back(to_public(b));
    out.entities.push_back(std::move(x));
  }
  return out;
}

}  // namespace facet
