#include "grounding/json.hpp"

namespace facet::grounding {

nlohmann::json to_json(const Grounding& g) {
  nlohmann::json entities = nlohmann::json::array();
  for (const auto& e : g.entities) {
    nlohmann::json boxes = nlohmann::json::array(), clipped = nlohmann::json::array();
    for (const auto& b : e.boxes) boxes.push_back({b.x1, b.y1, b.x2, b.y2}), clipped.push_back(b.clipped);
    entities.push_back({{"phrase", e.phrase}, {"span", {e.start, e.end}}, {"boxes", boxes}, {"clipped", clipped}});
  }
  return {{"text", g.text}, {"entities", entities}, {"warnings", g.warnings}};
}

}  // namespace facet::grounding
