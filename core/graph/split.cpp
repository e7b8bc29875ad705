#include "graph/split.hpp"

#include <algorithm>
#include <string>

#include "graph/op_registry.hpp"
#include "util/error.hpp"

namespace facet {

namespace {

// The input a node's op reads as a row-splittable weight: matmul's 2D w (input 1) or get_rows'
// table (input 0); -1 for none.
int split_input(const Node& n, const Graph& g) {
  if (n.op == "matmul" && n.inputs.size() >= 2 && g.value(n.inputs[1]).desc.rank == 2 && !n.attrs.count("residual")) return 1;
  if (n.op == "get_rows" && !n.attrs.count("row_base") && !n.attrs.count("table_rows")) return 0;
  return -1;
}

bool oversized(const Value& v, uint64_t limit) { return v.kind == ValueKind::Constant && v.desc.bytes() > limit; }

struct RowRange {
  int64_t first, count;
};

// Whole rows per part: as many as fit `limit` (rounded down to a multiple of 64 rows when there
// are that many, which keeps every kernel's row tiles whole), the last part takes the rest.
std::vector<RowRange> row_ranges(const Value& w, uint64_t limit) {
  const int64_t rows = w.desc.dims[0];
  const uint64_t row_bytes = w.desc.bytes() / static_cast<uint64_t>(rows);
  // Bindings are rounded up to whole 32-bit words: keep 4 bytes of headroom.
  int64_t per = static_cast<int64_t>((limit > 4 ? limit - 4 : 0) / row_bytes);
  if (per < 1)
    throw GpuError(GpuError::Kind::Other, "a row of tensor '" + w.name + "' " + w.desc.str() + " (" + std::to_string(row_bytes) +
                                              " bytes) does not fit the device's binding limit of " + std::to_string(limit) + " bytes");
  if (per >= 64) per -= per % 64;
  std::vector<RowRange> out;
  for (int64_t r = 0; r < rows; r += per) out.push_back({r, std::min(per, rows - r)});
  return out;
}

}  // namespace

bool needs_split(const Graph& g, uint64_t limit) {
  for (const Node& n : g.nodes()) {
    const int i = split_input(n, g);
    if (i >= 0 && oversized(g.value(n.inputs[static_cast<size_t>(i)]), limit)) return true;
  }
  return false;
}

Graph split_rows(const Graph& g, uint64_t limit) {
  Graph out(g.ops());
  std::vector<ValueId> map(g.values_.size(), kNoValue);
  // Row slices of a constant, shared by every node that splits it.
  std::map<std::pair<ValueId, int64_t>, ValueId> slices;
  auto slice = [&](ValueId w, const RowRange& r) {
    auto key = std::make_pair(w, r.first);
    if (auto it = slices.find(key); it != slices.end()) return it->second;
    const Value& v = g.value(w);
    const uint64_t row_bytes = v.desc.bytes() / static_cast<uint64_t>(v.desc.dims[0]);
    const uint64_t off = row_bytes * static_cast<uint64_t>(r.first), n = row_bytes * static_cast<uint64_t>(r.count);
    ConstantData d;
    d.data = static_cast<const uint8_t*>(v.constant.data) + off;  // for fill constants: an identity only
    d.bytes = n;
    d.keepalive = v.constant.keepalive;
    if (v.constant.fill)
      d.fill = [fill = v.constant.fill, off](uint64_t o, uint64_t k, void* dst) { fill(off + o, k, dst); };
    TensorDesc desc = v.desc;
    desc.dims[0] = r.count;
    const ValueId id = out.constant(v.name + ".rows" + std::to_string(r.first), desc, std::move(d));
    slices.emplace(key, id);
    return id;
  };

  for (ValueId id = 0; id < g.values_.size(); ++id) {
    const Value& v = g.values_[id];
    if (v.producer < 0) {  // inputs, constants, states and plain views: copied
      Value c = v;
      if (c.kind == ValueKind::View) c.base = map.at(c.base);
      map[id] = out.add_value(std::move(c));
      continue;
    }
    const Node& n = g.nodes_[static_cast<size_t>(v.producer)];
    std::vector<ValueId> ins;
    for (ValueId in : n.inputs) ins.push_back(map.at(in));
    const int si = split_input(n, g);
    if (si < 0 || !oversized(g.value(n.inputs[static_cast<size_t>(si)]), limit)) {
      map[id] = out.copy_node(n, v, ins, v.kind == ValueKind::View ? map.at(v.base) : kNoValue);
      continue;
    }
    const ValueId w = n.inputs[static_cast<size_t>(si)];
    std::vector<ValueId> parts;
    for (const RowRange& r : row_ranges(g.value(w), limit)) {
      std::vector<ValueId> part_ins = ins;
      part_ins[static_cast<size_t>(si)] = slice(w, r);
      Attrs attrs = n.attrs;
      if (n.op == "get_rows") {
        attrs["row_base"] = r.first;
        attrs["table_rows"] = g.value(w).desc.dims[0];
      } else if (part_ins.size() == 3) {  // the bias rows of this part: a view, made contiguous by op()
        const ValueId b = part_ins[2];
        part_ins[2] = out.view(b, TensorDesc(out.value(b).desc.dtype, {r.count}), {1}, r.first);
      }
      parts.push_back(out.op(n.name + ".rows" + std::to_string(r.first), n.op, part_ins, attrs));
    }
    // Rebuild the result: concat along the output's last dimension, or the sum of the lookups.
    ValueId acc = parts[0];
    for (size_t p = 1; p < parts.size(); ++p) {
      const std::string name = p + 1 == parts.size() ? n.name : n.name + ".join" + std::to_string(p);
      acc = n.op == "get_rows" ? out.op(name, "add", {acc, parts[p]})
                               : out.op(name, "concat", {acc, parts[p]}, {{"dim", int64_t{-1}}});
    }
    if (out.values_[acc].desc != v.desc) throw InternalError("split of '" + n.name + "' changed its output shape");
    out.values_[acc].name = v.name;
    out.values_[acc].output = v.output;
    map[id] = acc;
  }
  return out;
}

}  // namespace facet
