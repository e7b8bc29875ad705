// A grounding result as JSON, the object `facet ground --json` prints (DESIGN.md §4) and `facet run
// --json` puts under "grounding": {"text", "entities": [{"phrase", "span": [start, end], "boxes":
// [[x1, y1, x2, y2], ...], "clipped": [bool, ...]}], "warnings": [...]}, boxes in original pixels.
#pragma once

#include <nlohmann/json.hpp>

#include "grounding/box.hpp"

namespace facet::grounding {

nlohmann::json to_json(const Grounding& grounding);

}  // namespace facet::grounding
