// Planner: places every intermediate value in one arena by liveness. A value lives from the node
// that writes it to the last node that reads it (or a view of it); graph outputs live to the
// end. Values whose lifetimes do not overlap share bytes. Greedy: largest first, lowest offset
// that does not collide with an already placed value alive at the same time.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.hpp"

namespace facet {

struct MemoryPlan {
  std::vector<int64_t> offset;  // per value: byte offset in the arena, -1 if not in the arena
  uint64_t arena_bytes = 0;     // peak: the arena's size
  uint64_t naive_bytes = 0;     // sum of all intermediates (what no reuse would need)
};

// `nodes`: the node list that runs (the graph's own, or fuse_nodes()'s); an intermediate that no
// node in it writes gets no bytes. `reuse = false` gives every intermediate its own bytes (the
// debug mode reads them all back).
MemoryPlan plan_memory(const Graph& graph, const std::vector<Node>& nodes, uint64_t alignment, bool reuse = true);

}  // namespace facet
