// Graph: named values and nodes, built by model code (core or plugins) and executed by the
// Executor. Values are graph inputs (host data per run), constants (weights, uploaded once),
// intermediates (node outputs, placed in arenas by the Planner), states (device tensors that
// persist across runs of one Executor, found by name: a KV cache) and views (another shape or
// strides over an existing value's storage). Ops marked in_place (set_rows) write into their
// first input, a state, and return a view of it, so later readers depend on the write. Every node has a unique name carrying its layer
// index ("blk.3.attn_q"). Nodes are kept in insertion order, which is a topological order.
#pragma once

#include <facet/abi.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "graph/tensor_desc.hpp"

namespace facet {

class OpRegistry;

using ValueId = uint32_t;
constexpr ValueId kNoValue = UINT32_MAX;

enum class ValueKind { Input, Constant, Intermediate, View, State };

// Host bytes of a constant. `keepalive` owns them (an mmap, a vector, a loaded plugin). With
// `fill` the bytes are produced on demand instead (quantize_on_load.hpp): fill(offset, n, dst)
// writes bytes [offset, offset + n) to dst, and `data` only identifies the constant.
struct ConstantData {
  const void* data = nullptr;
  uint64_t bytes = 0;
  std::shared_ptr<const void> keepalive;
  std::function<void(uint64_t offset, uint64_t n, void* dst)> fill = nullptr;
  // 0 for one host range; a constant assembled from several (graph/merge.hpp) carries a hash of
  // them, so uploads (keyed by data, bytes and tag) tell it from a range at the same address.
  uint64_t tag = 0;
};

struct Value {
  std::string name;
  TensorDesc desc;
  std::array<int64_t, kMaxDims> strides{};  // elements
  int64_t offset = 0;                       // elements into the base's storage (views)
  ValueKind kind = ValueKind::Intermediate;
  ValueId base = kNoValue;  // views: the value that owns the storage (never itself a view)
  int32_t producer = -1;    // intermediates: index of the node that writes it
  ConstantData constant;
  bool output = false;
  bool contiguous() const;  // dense row-major with offset 0
};

using AttrValue = std::variant<int64_t, double>;
using Attrs = std::map<std::string, AttrValue>;

// A dispatch of a plugin kernel (op "dispatch"): everything the recorder needs, fixed at build time.
struct CustomDispatch {
  std::string kernel;
  std::vector<uint8_t> push;
  std::array<uint32_t, 3> groups{1, 1, 1};
  std::vector<uint32_t> spec;
  facet_cpu_reference_fn cpu_reference = nullptr;
  std::shared_ptr<const void> keepalive;  // the plugin library that owns cpu_reference
};

struct Node {
  std::string name;
  std::string op;
  std::vector<ValueId> inputs;
  ValueId output = kNoValue;
  Attrs attrs;
  std::shared_ptr<const CustomDispatch> dispatch;
};

class Graph {
 public:
  explicit Graph(const OpRegistry& ops) : ops_(&ops) {}

  ValueId input(const std::string& name, const TensorDesc& desc);
  ValueId constant(const std::string& name, const TensorDesc& desc, ConstantData data);
  // A persistent device tensor: the Executor keeps one buffer per name across runs (zero-filled
  // when created where the memory is host-visible).
  ValueId state(const std::string& name, const TensorDesc& desc);
  // Adds a node of a registered op; the output desc comes from the op's shape inference.
  // Non-contiguous view inputs are first made contiguous by an inserted "copy" node.
  ValueId op(const std::string& node_name, const std::string& op, const std::vector<ValueId>& inputs,
             const Attrs& attrs = {});
  ValueId dispatch(const std::string& node_name, const std::vector<ValueId>& inputs, const TensorDesc& output,
                   CustomDispatch dispatch);
  // Same elements in another shape (contiguous source only); no data moves.
  ValueId reshape(ValueId v, const TensorDesc& shape);
  // Arbitrary strided view (element strides and offset into v's storage); for permutes and slices.
  ValueId view(ValueId v, const TensorDesc& shape, const std::array<int64_t, kMaxDims>& strides, int64_t offset);
  void mark_output(ValueId v, const std::string& name);

  const Value& value(ValueId v) const;
  const std::vector<Value>& values() const { return values_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const OpRegistry& ops() const { return *ops_; }
  std::vector<ValueId> outputs() const;
  // Identifies the graph's structure, shapes, attributes and constant storage (for plan reuse).
  uint64_t fingerprint() const;

 private:
  // Rewrites that copy values and nodes: graph/split.hpp, graph/merge.hpp.
  friend Graph split_rows(const Graph& graph, uint64_t limit);
  friend Graph merge_siblings(const Graph& graph, uint64_t alignment, uint64_t limit);
  ValueId add_value(Value v);
  ValueId add_node(Node node, const TensorDesc& out_desc, ValueId in_place = kNoValue);
  // For the rewrites: node n of another graph, whose output is v, over `inputs` of this one (an
  // in-place op's output a view of `in_place`), its output named and marked as v is.
  ValueId copy_node(const Node& n, const Value& v, std::vector<ValueId> inputs, ValueId in_place);
  void check_name(const std::string& node_name) const;

  const OpRegistry* ops_;
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::map<std::string, size_t> node_names_;
};

}  // namespace facet
