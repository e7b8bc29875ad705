#include "graph/planner.hpp"

#include <algorithm>

namespace facet {

MemoryPlan plan_memory(const Graph& graph, const std::vector<Node>& nodes, uint64_t alignment, bool reuse) {
  const auto& values = graph.values();
  const int end_of_graph = static_cast<int>(nodes.size());
  std::vector<int> producer(values.size(), -1);
  for (int n = 0; n < end_of_graph; ++n) producer[nodes[n].output] = n;

  struct Interval {
    ValueId v;
    int first, last;
    uint64_t size;
  };
  std::vector<Interval> live;
  std::vector<int> index(values.size(), -1);
  for (ValueId v = 0; v < values.size(); ++v) {
    if (values[v].kind != ValueKind::Intermediate || producer[v] < 0) continue;
    uint64_t size = (values[v].desc.bytes() + alignment - 1) / alignment * alignment;
    index[v] = static_cast<int>(live.size());
    live.push_back({v, producer[v], producer[v], std::max<uint64_t>(size, alignment)});
  }
  auto storage_of = [&](ValueId v) { return values[v].kind == ValueKind::View ? values[v].base : v; };
  for (int n = 0; n < end_of_graph; ++n)
    for (ValueId in : nodes[n].inputs)
      if (int i = index[storage_of(in)]; i >= 0) live[i].last = std::max(live[i].last, n);
  for (ValueId v = 0; v < values.size(); ++v)
    if (values[v].output)
      if (int i = index[storage_of(v)]; i >= 0) live[i].last = end_of_graph;

  MemoryPlan plan;
  plan.offset.assign(values.size(), -1);
  std::vector<size_t> order(live.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return live[a].size > live[b].size; });

  struct Placed {
    uint64_t offset, size;
    int first, last;
  };
  std::vector<Placed> placed;
  for (size_t i : order) {
    const Interval& it = live[i];
    plan.naive_bytes += it.size;
    uint64_t offset = 0;
    if (reuse) {
      // Collect ranges of values alive at the same time, sorted by offset, and find the first gap.
      std::vector<std::pair<uint64_t, uint64_t>> busy;
      for (const Placed& p : placed)
        if (p.first <= it.last && it.first <= p.last) busy.emplace_back(p.offset, p.offset + p.size);
      std::sort(busy.begin(), busy.end());
      for (const auto& [lo, hi] : busy) {
        if (offset + it.size <= lo) break;
        offset = std::max(offset, hi);
      }
    } else {
      offset = plan.arena_bytes;
    }
    placed.push_back({offset, it.size, it.first, it.last});
    plan.offset[it.v] = static_cast<int64_t>(offset);
    plan.arena_bytes = std::max(plan.arena_bytes, offset + it.size);
  }
  return plan;
}

}  // namespace facet
