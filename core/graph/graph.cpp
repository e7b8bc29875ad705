#include "graph/graph.hpp"

#include <cstring>

#include "graph/op_registry.hpp"
#include "util/error.hpp"

namespace facet {

bool Value::contiguous() const {
  if (offset != 0) return false;
  auto c = contiguous_strides(desc);
  for (uint32_t i = 0; i < desc.rank; ++i)
    if (desc.dims[i] > 1 && strides[i] != c[i]) return false;
  return true;
}

const Value& Graph::value(ValueId v) const {
  if (v >= values_.size()) throw InputError("tensor id " + std::to_string(v) + " is not in the graph");
  return values_[v];
}

ValueId Graph::add_value(Value v) {
  v.desc.bytes();  // validates the shape (overflow, quant blocks)
  values_.push_back(std::move(v));
  return static_cast<ValueId>(values_.size() - 1);
}

void Graph::check_name(const std::string& node_name) const {
  if (node_name.empty()) throw InputError("graph node without a name");
  if (node_names_.count(node_name)) throw InputError("duplicate graph node name '" + node_name + "'");
}

ValueId Graph::input(const std::string& name, const TensorDesc& desc) {
  Value v;
  v.name = name;
  v.desc = desc;
  v.strides = contiguous_strides(desc);
  v.kind = ValueKind::Input;
  return add_value(std::move(v));
}

ValueId Graph::constant(const std::string& name, const TensorDesc& desc, ConstantData data) {
  if (data.bytes != desc.bytes())
    throw InputError("constant '" + name + "' has " + std::to_string(data.bytes) + " bytes but " + desc.str() +
                     " needs " + std::to_string(desc.bytes()));
  Value v;
  v.name = name;
  v.desc = desc;
  v.strides = contiguous_strides(desc);
  v.kind = ValueKind::Constant;
  v.constant = std::move(data);
  return add_value(std::move(v));
}

ValueId Graph::state(const std::string& name, const TensorDesc& desc) {
  desc.bytes();
  for (const Value& v : values_)
    if (v.kind == ValueKind::State && v.name == name) throw InputError("duplicate graph state '" + name + "'");
  Value v;
  v.name = name;
  v.desc = desc;
  v.strides = contiguous_strides(desc);
  v.kind = ValueKind::State;
  return add_value(std::move(v));
}

ValueId Graph::add_node(Node node, const TensorDesc& out_desc, ValueId in_place) {
  Value out;
  out.name = node.name;
  out.desc = out_desc;
  out.strides = contiguous_strides(out_desc);
  out.kind = ValueKind::Intermediate;
  if (in_place != kNoValue) {
    out.kind = ValueKind::View;
    out.base = in_place;
  }
  out.producer = static_cast<int32_t>(nodes_.size());
  node.output = add_value(std::move(out));
  node_names_[node.name] = nodes_.size();
  nodes_.push_back(std::move(node));
  return nodes_.back().output;
}

ValueId Graph::copy_node(const Node& n, const Value& v, std::vector<ValueId> inputs, ValueId in_place) {
  Node c = n;
  c.inputs = std::move(inputs);
  const ValueId o = add_node(std::move(c), v.desc, in_place);
  values_[o].name = v.name;
  values_[o].output = v.output;
  return o;
}

ValueId Graph::op(const std::string& node_name, const std::string& op, const std::vector<ValueId>& inputs,
                  const Attrs& attrs) {
  check_name(node_name);
  const OpDef& def = ops_->get(op);
  std::vector<ValueId> ins = inputs;
  for (size_t i = 0; i < ins.size(); ++i) {
    value(ins[i]);  // bounds check
    if (!def.strided_inputs && !values_[ins[i]].contiguous())
      ins[i] = this->op(node_name + ".contiguous" + std::to_string(i), "copy", {ins[i]});
  }
  std::vector<const Value*> in_values;
  for (ValueId v : ins) in_values.push_back(&values_[v]);
  TensorDesc out = def.infer(in_values, attrs, node_name);
  ValueId in_place = kNoValue;
  if (def.in_place) {
    const Value& dst = values_[ins.at(0)];
    in_place = dst.kind == ValueKind::View ? dst.base : ins[0];
    if (values_[in_place].kind != ValueKind::State || !dst.contiguous() || dst.desc != out)
      throw InputError(node_name + ": " + op + " writes into its first input, which must be a whole graph state");
  }
  return add_node(Node{node_name, op, ins, kNoValue, attrs, nullptr}, out, in_place);
}

ValueId Graph::dispatch(const std::string& node_name, const std::vector<ValueId>& inputs, const TensorDesc& output,
                        CustomDispatch dispatch) {
  check_name(node_name);
  if (dispatch.push.size() > 128) throw InputError(node_name + ": push constants above 128 bytes");
  if (inputs.size() + 1 > 8) throw InputError(node_name + ": more than 7 inputs");
  for (uint32_t g : dispatch.groups)
    if (g == 0) throw InputError(node_name + ": zero workgroups");
  std::vector<ValueId> ins = inputs;
  for (size_t i = 0; i < ins.size(); ++i) {
    value(ins[i]);
    if (!values_[ins[i]].contiguous())
      ins[i] = op(node_name + ".contiguous" + std::to_string(i), "copy", {ins[i]});
  }
  output.bytes();
  return add_node(Node{node_name, "dispatch", ins, kNoValue, {},
                       std::make_shared<const CustomDispatch>(std::move(dispatch))},
                  output);
}

ValueId Graph::reshape(ValueId v, const TensorDesc& shape) {
  const Value& src = value(v);
  if (!src.contiguous()) throw InputError("reshape of non-contiguous tensor '" + src.name + "'");
  if (shape.dtype != src.desc.dtype || shape.elements() != src.desc.elements())
    throw InputError("cannot reshape '" + src.name + "' " + src.desc.str() + " to " + shape.str());
  return view(v, shape, contiguous_strides(shape), 0);
}

ValueId Graph::view(ValueId v, const TensorDesc& shape, const std::array<int64_t, kMaxDims>& strides, int64_t offset) {
  const Value& src = value(v);
  ValueId base = src.kind == ValueKind::View ? src.base : v;
  int64_t base_offset = src.kind == ValueKind::View ? src.offset : 0;
  // The furthest element the view touches must stay inside the base.
  int64_t last = base_offset + offset;
  for (uint32_t i = 0; i < shape.rank; ++i) {
    if (shape.dims[i] <= 0) throw InputError("view of '" + src.name + "' with empty dimension");
    if (strides[i] < 0) throw InputError("view of '" + src.name + "' with negative stride");
    last += (shape.dims[i] - 1) * strides[i];
  }
  if (offset < 0 || last >= values_[base].desc.elements())
    throw InputError("view " + shape.str() + " reaches outside '" + values_[base].name + "' " + values_[base].desc.str());
  if (is_quantized(shape.dtype)) throw InputError("views of block-quantized tensors are not supported");
  Value out;
  out.name = src.name + ".view";
  out.desc = shape;
  out.strides = strides;
  out.offset = base_offset + offset;
  out.kind = ValueKind::View;
  out.base = base;
  return add_value(std::move(out));
}

void Graph::mark_output(ValueId v, const std::string& name) {
  const Value& val = value(v);
  // Outputs are arena intermediates (or contiguous views of one) that carry the output's name;
  // anything else (an input, a weight, a strided view, an existing output) is copied first.
  bool own = val.kind == ValueKind::Intermediate && !val.output;
  if (val.kind == ValueKind::View)
    own = val.contiguous() && values_[val.base].kind == ValueKind::Intermediate && !values_[val.base].output;
  if (!own) v = op(name + ".output", "copy", {v});
  for (const Value& x : values_)
    if (x.output && x.name == name) throw InputError("duplicate graph output name '" + name + "'");
  values_[v].output = true;
  values_[v].name = name;
}

std::vector<ValueId> Graph::outputs() const {
  std::vector<ValueId> out;
  for (ValueId v = 0; v < values_.size(); ++v)
    if (values_[v].output) out.push_back(v);
  return out;
}

namespace {
struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  template <class T>
  void pod(const T& v) { bytes(&v, sizeof(T)); }
  void str(const std::string& s) { pod(s.size()); bytes(s.data(), s.size()); }
};
}  // namespace

uint64_t Graph::fingerprint() const {
  Fnv f;
  for (const Value& v : values_) {
    f.str(v.name);
    f.pod(v.desc.dtype);
    f.pod(v.desc.rank);
    f.pod(v.desc.dims);
    f.pod(v.strides);
    f.pod(v.offset);
    f.pod(v.kind);
    f.pod(v.base);
    f.pod(v.output);
    f.pod(v.constant.data);
  }
  for (const Node& n : nodes_) {
    f.str(n.name);
    f.str(n.op);
    for (ValueId v : n.inputs) f.pod(v);
    for (const auto& [k, a] : n.attrs) {
      f.str(k);
      f.pod(a.index());
      if (a.index() == 0) f.pod(std::get<int64_t>(a)); else f.pod(std::get<double>(a));
    }
    if (n.dispatch) {
      f.str(n.dispatch->kernel);
      f.bytes(n.dispatch->push.data(), n.dispatch->push.size());
      f.pod(n.dispatch->groups);
      for (uint32_t s : n.dispatch->spec) f.pod(s);
    }
  }
  return f.h;
}

}  // namespace facet
