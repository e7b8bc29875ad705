#include "graph/merge.hpp"

#include <cstring>
#include <map>
#include <string>
#include <tuple>

#include "util/error.hpp"

namespace facet {

namespace {

constexpr size_t kMaxParts = 3;  // what the matmul kernels' part1/part2 can describe

// A matmul that may merge: x [M, K], a constant 2D weight, an optional constant bias, no
// residual or parts, an output no graph output shares.
bool mergeable(const Graph& g, const Node& n, const std::vector<bool>& output_storage) {
  if (n.op != "matmul" || (n.inputs.size() != 2 && n.inputs.size() != 3)) return false;
  if (n.attrs.count("residual") || n.attrs.count("part1") || n.attrs.count("part2")) return false;
  const Value &x = g.value(n.inputs[0]), &w = g.value(n.inputs[1]), &y = g.value(n.output);
  if (x.desc.rank != 2 || w.kind != ValueKind::Constant || w.desc.rank != 2) return false;
  if (n.inputs.size() == 3 && g.value(n.inputs[2]).kind != ValueKind::Constant) return false;
  return y.kind == ValueKind::Intermediate && !output_storage[n.output];
}

// Groups of 2 or 3 sibling matmul nodes (indices in node order) that merge.
std::vector<std::vector<size_t>> sibling_groups(const Graph& g, uint64_t alignment, uint64_t limit) {
  const auto& values = g.values();
  std::vector<bool> output_storage(values.size(), false);
  for (ValueId v = 0; v < values.size(); ++v)
    if (values[v].output) output_storage[values[v].kind == ValueKind::View ? values[v].base : v] = true;
  // Siblings: same x, weight type, K and bias presence; in order of their first node.
  using Key = std::tuple<ValueId, DType, int64_t, size_t>;
  std::map<Key, size_t> slot;
  std::vector<std::vector<size_t>> families;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& n = g.nodes()[i];
    if (!mergeable(g, n, output_storage)) continue;
    const TensorDesc& w = g.value(n.inputs[1]).desc;
    const Key key{n.inputs[0], w.dtype, w.dims[1], n.inputs.size()};
    auto [it, added] = slot.emplace(key, families.size());
    if (added) families.emplace_back();
    families[it->second].push_back(i);
  }
  std::vector<std::vector<size_t>> groups;
  for (const auto& family : families)
    for (size_t first = 0; first + 1 < family.size(); first += kMaxParts) {
      std::vector<size_t> group(family.begin() + static_cast<std::ptrdiff_t>(first),
                                family.begin() + static_cast<std::ptrdiff_t>(std::min(family.size(), first + kMaxParts)));
      if (group.size() < 2) continue;
      const uint64_t rows = static_cast<uint64_t>(g.value(g.nodes()[group[0]].inputs[0]).desc.dims[0]);
      uint64_t start = 0, bytes = 0;
      bool aligned = true;
      for (size_t p = 0; p < group.size(); ++p) {
        const Value& w = g.value(g.nodes()[group[p]].inputs[1]);
        if (p > 0 && (rows * start * sizeof(float)) % alignment != 0) aligned = false;
        start += static_cast<uint64_t>(w.desc.dims[0]);
        bytes += w.desc.bytes();
      }
      if (aligned && bytes <= limit) groups.push_back(std::move(group));
    }
  return groups;
}

// One constant of the given parts' rows one after another, produced from their own host bytes as
// it is read. `tag` tells it apart from any single-range constant at the first part's address.
ConstantData joined(const std::vector<const Value*>& parts) {
  struct Piece {
    const uint8_t* data;
    uint64_t bytes;
    std::function<void(uint64_t, uint64_t, void*)> fill;
  };
  std::vector<Piece> pieces;
  auto owners = std::make_shared<std::vector<std::shared_ptr<const void>>>();
  ConstantData d;
  d.tag = 1469598103934665603ull;
  for (const Value* v : parts) {
    pieces.push_back({static_cast<const uint8_t*>(v->constant.data), v->constant.bytes, v->constant.fill});
    owners->push_back(v->constant.keepalive);
    for (uint64_t word : {reinterpret_cast<uint64_t>(v->constant.data), v->constant.bytes, v->constant.tag})
      d.tag = (d.tag ^ word) * 1099511628211ull;
    d.bytes += v->constant.bytes;
  }
  d.tag |= 1;  // never 0, the tag of single ranges
  d.data = parts[0]->constant.data;
  d.keepalive = owners;
  d.fill = [pieces](uint64_t offset, uint64_t n, void* dst) {
    auto* out = static_cast<uint8_t*>(dst);
    uint64_t start = 0;
    for (const Piece& p : pieces) {
      const uint64_t lo = std::max(offset, start), hi = std::min(offset + n, start + p.bytes);
      if (lo < hi) {
        if (p.fill) p.fill(lo - start, hi - lo, out + (lo - offset));
        else std::memcpy(out + (lo - offset), p.data + (lo - start), hi - lo);
      }
      start += p.bytes;
    }
  };
  return d;
}

}  // namespace

bool has_siblings(const Graph& graph, uint64_t alignment, uint64_t limit) {
  return !sibling_groups(graph, alignment, limit).empty();
}

Graph merge_siblings(const Graph& g, uint64_t alignment, uint64_t limit) {
  const std::vector<std::vector<size_t>> groups = sibling_groups(g, alignment, limit);
  std::map<size_t, size_t> group_of;  // node -> its group
  for (size_t k = 0; k < groups.size(); ++k)
    for (size_t n : groups[k]) group_of[n] = k;

  Graph out(g.ops());
  std::vector<ValueId> map(g.values_.size(), kNoValue);
  for (ValueId id = 0; id < g.values_.size(); ++id) {
    const Value& v = g.values_[id];
    if (map[id] != kNoValue) continue;  // a later sibling's output: a view made with the first
    if (v.producer < 0) {  // inputs, constants, states and plain views: copied (views re-based)
      Value c = v;
      if (c.kind == ValueKind::View) {
        const Value& base = out.values_[map.at(c.base)];
        c.offset += base.kind == ValueKind::View ? base.offset : 0;
        c.base = base.kind == ValueKind::View ? base.base : map.at(c.base);
      }
      map[id] = out.add_value(std::move(c));
      continue;
    }
    const Node& n = g.nodes_[static_cast<size_t>(v.producer)];
    std::vector<ValueId> ins;
    for (ValueId in : n.inputs) ins.push_back(map.at(in));
    auto grp = group_of.find(static_cast<size_t>(v.producer));
    if (grp == group_of.end()) {
      map[id] = out.copy_node(n, v, ins, v.kind == ValueKind::View ? map.at(v.base) : kNoValue);
      continue;
    }
    // The first of a group: the merged weight (and bias), one matmul, a view per sibling.
    const std::vector<size_t>& group = groups[grp->second];
    std::vector<const Value*> weights, biases;
    std::string name;
    int64_t rows = 0;
    for (size_t s : group) {
      const Node& sib = g.nodes_[s];
      weights.push_back(&g.values_[sib.inputs[1]]);
      if (sib.inputs.size() == 3) biases.push_back(&g.values_[sib.inputs[2]]);
      name += (name.empty() ? "" : "+") + sib.name;
      rows += g.values_[sib.inputs[1]].desc.dims[0];
    }
    auto join = [&](const std::vector<const Value*>& parts, TensorDesc desc) {
      std::string joined_name;
      for (const Value* p : parts) joined_name += (joined_name.empty() ? "" : "+") + p->name;
      desc.dims[0] = rows;
      return out.constant(joined_name, desc, joined(parts));
    };
    std::vector<ValueId> merged_ins = {ins[0], join(weights, weights[0]->desc)};
    if (!biases.empty()) merged_ins.push_back(join(biases, biases[0]->desc));
    const int64_t m = v.desc.dims[0], n0 = weights[0]->desc.dims[0];
    Attrs attrs = {{"part1", n0}, {"part2", group.size() == 3 ? n0 + weights[1]->desc.dims[0] : rows}};
    const ValueId y = out.add_node(Node{name, "matmul", merged_ins, kNoValue, attrs, nullptr}, TensorDesc(DType::F32, {m, rows}));
    int64_t start = 0;
    for (size_t s : group) {
      const Value& sv = g.values_[g.nodes_[s].output];
      const ValueId part = out.view(y, sv.desc, contiguous_strides(sv.desc), m * start);
      out.values_[part].name = sv.name;
      map[g.nodes_[s].output] = part;
      start += sv.desc.dims[1];
    }
  }
  return out;
}

}  // namespace facet
