#include "graph/fusion.hpp"

namespace facet {

namespace {

// r can be bound whole as the residual and is complete before node `at` runs.
bool ready_residual(const Graph& g, ValueId r, int at) {
  const Value& v = g.value(r);
  if (v.desc.dtype != DType::F32) return false;
  switch (v.kind) {
    case ValueKind::Input:
    case ValueKind::Constant: return true;
    case ValueKind::Intermediate: return v.producer < at;
    case ValueKind::View: {
      const Value& base = g.value(v.base);
      return v.contiguous() && base.kind != ValueKind::State && (base.kind != ValueKind::Intermediate || base.producer < at);
    }
    case ValueKind::State: return false;
  }
  return false;
}

}  // namespace

std::vector<Node> fuse_nodes(const Graph& g) {
  const auto& values = g.values();
  const auto& nodes = g.nodes();
  std::vector<int> readers(values.size(), 0);
  for (const Node& n : nodes)
    for (ValueId in : n.inputs) ++readers[in];
  for (const Value& v : values)
    if (v.kind == ValueKind::View) ++readers[v.base];

  std::vector<Node> out(nodes.begin(), nodes.end());
  std::vector<bool> removed(nodes.size(), false);
  for (size_t j = 0; j < nodes.size(); ++j) {
    const Node& add = nodes[j];
    if (add.op != "add" || add.inputs.size() != 2) continue;
    for (int side = 0; side < 2; ++side) {
      const ValueId a = add.inputs[side], r = add.inputs[1 - side];
      const Value& av = g.value(a);
      if (av.kind != ValueKind::Intermediate || av.output || readers[a] != 1 || a == r) continue;
      const int i = av.producer;
      const Node& mm = out[static_cast<size_t>(i)];
      if (mm.op != "matmul" || mm.attrs.count("residual") || mm.output != a) continue;
      if (g.value(r).desc != av.desc || g.value(add.output).desc != av.desc || !ready_residual(g, r, i)) continue;
      Node fused = mm;
      fused.inputs.push_back(r);
      fused.attrs["residual"] = int64_t{1};
      fused.output = add.output;
      out[static_cast<size_t>(i)] = fused;
      removed[j] = true;
      break;
    }
  }
  std::vector<Node> kept;
  kept.reserve(out.size());
  for (size_t k = 0; k < out.size(); ++k)
    if (!removed[k]) kept.push_back(std::move(out[k]));
  return kept;
}

}  // namespace facet
