#include "graph/executor.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <set>

#include "graph/fusion.hpp"
#include "graph/interleave.hpp"
#include "graph/merge.hpp"
#include "graph/op_registry.hpp"
#include "graph/planner.hpp"
#include "graph/split.hpp"
#include "graph/strided.hpp"
#include "util/error.hpp"
#include "vk/allocator.hpp"
#include "vk/context.hpp"

namespace facet {

struct Executor::Weight {
  vk::Allocation alloc;
  std::shared_ptr<const void> keepalive;  // pins the host data so its address stays unique
};

struct Executor::State {
  TensorDesc desc;
  vk::Allocation alloc;
};

struct Executor::Plan {
  // What the plan runs: the graph itself, or its rewrites: row parts (graph/split.hpp) where it
  // needed them, then merged siblings (graph/merge.hpp) where it has them.
  std::unique_ptr<Graph> split, merged;
  const Graph& graph(const Graph& g) const { return merged ? *merged : split ? *split : g; }
  std::vector<Node> nodes;  // what runs: the graph's nodes, fused (graph/fusion.hpp) outside debug mode
  MemoryPlan memory;
  vk::Allocation arena;
  std::map<ValueId, vk::Allocation> inputs;    // device-side input storage
  std::map<ValueId, vk::Allocation> staging;   // host-side input copies (devices without zero-copy)
  std::map<ValueId, vk::Allocation> readback;  // host-side output copies (devices without zero-copy)
  std::unique_ptr<vk::CommandRecorder> recorder;
  uint64_t weight_bytes = 0;
};

Executor::Executor(vk::Context& ctx, ExecOptions options) : ctx_(ctx), options_(options) {}
Executor::~Executor() = default;

// Bindings cover whole 32-bit words: shaders read f16/bf16/quantized data as uint arrays, so a
// tensor of 2 mod 4 bytes must still expose its last (partial) word.
static uint64_t binding_bytes(uint64_t bytes) { return std::max<uint64_t>((bytes + 3) / 4 * 4, 4); }

static const void* host_pointer(const vk::Allocation& a, const std::string& what) {
  if (!a.mapped()) throw InternalError(what + " is not host-visible");
  return a.mapped();
}

vk::BufferView Executor::storage(const Plan& plan, const Graph& graph, ValueId v, bool at_offset) const {
  const Value& val = graph.value(v);
  switch (val.kind) {
    case ValueKind::Constant: return weights_.at({val.constant.data, val.constant.bytes, val.constant.tag, RowLayout{}})->alloc.view();
    case ValueKind::Input: return plan.inputs.at(v).view();
    case ValueKind::Intermediate:
      return plan.arena.view(static_cast<uint64_t>(plan.memory.offset[v]), binding_bytes(val.desc.bytes()));
    case ValueKind::View: {
      vk::BufferView base = storage(plan, graph, val.base);
      if (!at_offset || val.offset == 0) return base;
      const uint64_t off = static_cast<uint64_t>(val.offset) * dtype_info(val.desc.dtype).block_bytes;
      return vk::BufferView{base.buffer, base.offset + off, std::min(base.size - off, binding_bytes(val.desc.bytes()))};
    }
    case ValueKind::State: return states_.at(val.name)->alloc.view(0, binding_bytes(val.desc.bytes()));
  }
  throw InternalError("unknown value kind");
}

// The row layout a launch asks for its input `in` (plain by default). Launch::layouts is keyed by
// binding slot; slots map to inputs through Launch::bindings (or in order).
static RowLayout layout_of(const Launch& launch, size_t in) {
  for (const auto& [slot, layout] : launch.layouts) {
    const size_t input = launch.bindings.empty() ? static_cast<size_t>(slot) : static_cast<size_t>(launch.bindings.at(slot));
    if (input == in) return layout;
  }
  return {};
}

void Executor::upload_weight(const Value& v, const RowLayout& row_layout) {
  const WeightKey key{v.constant.data, v.constant.bytes, v.constant.tag, row_layout};
  if (weights_.count(key)) return;
  vk::Allocator& alloc = ctx_.allocator();
  ByteReader read = v.constant.fill ? ByteReader(v.constant.fill) : ByteReader([&v](uint64_t off, uint64_t n, void* dst) {
    std::memcpy(dst, static_cast<const uint8_t*>(v.constant.data) + off, n);
  });
  // Plain: one "group" of all bytes. Otherwise whole groups of rows per piece.
  const bool plain = row_layout.plain();
  RowInterleave layout;
  uint64_t total = v.constant.bytes, unit = 1;
  if (!plain) {
    const int64_t row_elems = v.desc.dims[v.desc.rank - 1];
    layout.rows = static_cast<uint64_t>(v.desc.elements() / row_elems);
    layout.row_bytes = v.constant.bytes / layout.rows;
    layout.layout = row_layout;
    total = layout.bytes();
    unit = layout.group_bytes();
  }
  auto produce = [&](uint64_t off, uint64_t n, void* dst) {
    if (!plain) interleave_rows(layout, read, off / unit, n / unit, static_cast<uint8_t*>(dst));
    else read(off, n, dst);
  };
  auto w = std::make_unique<Weight>();
  w->keepalive = v.constant.keepalive;
  const std::string what = "weight '" + v.name + "'" + (row_layout.group > 1 ? " (interleaved rows)" : "") +
                           (row_layout.head_bytes ? " (split runs)" : row_layout.block_bytes ? " (padded blocks)" : "");
  w->alloc = alloc.allocate(binding_bytes(total), vk::MemoryPool::DeviceLocal, what);
  if (alloc.zero_copy()) {
    produce(0, total, w->alloc.mapped());
  } else {
    // Upload through one bounded staging chunk (whole units), so host memory stays near one chunk.
    const uint64_t chunk = std::min<uint64_t>(total, std::max<uint64_t>(1, (64ull << 20) / unit) * unit);
    vk::Allocation stage = alloc.allocate(chunk, vk::MemoryPool::Staging, "staging for " + what);
    vk::CommandRecorder rec(ctx_);
    for (uint64_t off = 0; off < total; off += chunk) {
      uint64_t n = std::min(chunk, total - off);
      produce(off, n, stage.mapped());
      rec.begin();
      rec.copy(stage.view(0, n), w->alloc.view(off, n), "upload " + v.name);
      rec.end();
      rec.submit_and_wait();
    }
  }
  weights_.emplace(key, std::move(w));
}

Executor::Plan& Executor::prepare(const Graph& original) {
  uint64_t key = original.fingerprint();
  if (auto it = plans_.find(key); it != plans_.end()) {
    stats_.reused_plan = true;
    return *it->second;
  }
  stats_.reused_plan = false;
  if (plans_.size() >= 8) plans_.clear();  // bounded: graphs that change every run do not pile up plans

  const vk::DeviceInfo& dev = ctx_.info();
  vk::Allocator& alloc = ctx_.allocator();
  const bool zero_copy = alloc.zero_copy();
  const uint64_t limit = options_.max_binding_bytes ? std::min(options_.max_binding_bytes, dev.max_storage_buffer_range)
                                                    : dev.max_storage_buffer_range;
  auto plan = std::make_unique<Plan>();
  if (needs_split(original, limit)) plan->split = std::make_unique<Graph>(split_rows(original, limit));
  // A view bound at its own offset needs that offset aligned for storage and texel buffers.
  const uint64_t view_alignment =
      std::max<uint64_t>({dev.min_storage_buffer_offset_alignment, dev.min_texel_buffer_offset_alignment, 16});
  if (options_.merge_siblings && !options_.debug && has_siblings(plan->graph(original), view_alignment, limit))
    plan->merged = std::make_unique<Graph>(merge_siblings(plan->graph(original), view_alignment, limit));
  const Graph& graph = plan->graph(original);
  // Values some node, view or output uses (a split constant's whole self is no longer read).
  std::vector<bool> used(graph.values().size(), false);
  for (const Node& n : graph.nodes()) {
    used[n.output] = true;
    for (ValueId in : n.inputs) used[in] = true;
  }
  for (ValueId id = 0; id < graph.values().size(); ++id) {
    const Value& v = graph.values()[id];
    if (v.kind == ValueKind::View) used[v.base] = used[id] = true;
    if (v.output) used[id] = true;
  }
  for (ValueId id = 0; id < graph.values().size(); ++id) {
    const Value& v = graph.values()[id];
    if (used[id] && v.kind != ValueKind::View && v.desc.bytes() > limit)
      throw GpuError(GpuError::Kind::Other, "tensor '" + v.name + "' " + v.desc.str() + " is " + std::to_string(v.desc.bytes()) +
                                                " bytes, above the " + std::to_string(limit) + " bytes one kernel can bind " +
                                                (limit == dev.max_storage_buffer_range ? "(the device's maxStorageBufferRange)"
                                                                                       : "(max_binding_bytes)") +
                                                "; only matmul weights and get_rows tables are split into row parts");
  }

  plan->nodes = options_.debug ? graph.nodes() : fuse_nodes(graph);
  // Kernels first: they decide the layout each constant is bound in.
  std::vector<Launch> launches;
  launches.reserve(plan->nodes.size());
  for (const Node& node : plan->nodes) {
    OpCall call{node, {}, graph.value(node.output)};
    for (ValueId in : node.inputs) call.inputs.push_back(&graph.value(in));
    launches.push_back(graph.ops().get(node.op).select(call, dev));
  }
  // Weights: uploaded once per (host buffer, layout), shared by every plan. A constant is uploaded
  // plain unless every node that reads it asks for another row layout.
  std::map<ValueId, std::set<RowLayout>> layouts;
  std::set<ValueId> plain;
  for (ValueId id = 0; id < graph.values().size(); ++id) {
    const Value& v = graph.values()[id];
    if (v.kind == ValueKind::View) plain.insert(v.base);
    if (v.output) plain.insert(id);
  }
  for (size_t i = 0; i < launches.size(); ++i) {
    const Node& node = plan->nodes[i];
    for (size_t in = 0; in < node.inputs.size(); ++in) {
      const RowLayout l = layout_of(launches[i], in);
      if (!l.plain()) layouts[node.inputs[in]].insert(l);
      else plain.insert(node.inputs[in]);
    }
  }
  for (ValueId id = 0; id < graph.values().size(); ++id) {
    const Value& v = graph.values()[id];
    if (v.kind != ValueKind::Constant || !used[id]) continue;
    plan->weight_bytes += v.desc.bytes();
    if (plain.count(id) || !layouts.count(id)) upload_weight(v, RowLayout{});
    for (const RowLayout& l : layouts[id]) upload_weight(v, l);
  }

  // States: created on first use, then found by name; a second desc for one name is an error.
  bool has_states = false;
  for (const Value& v : graph.values()) {
    if (v.kind != ValueKind::State) continue;
    has_states = true;
    if (auto it = states_.find(v.name); it != states_.end()) {
      if (it->second->desc != v.desc)
        throw InputError("state '" + v.name + "' is " + it->second->desc.str() + " but the graph declares " + v.desc.str());
      continue;
    }
    auto st = std::make_unique<State>();
    st->desc = v.desc;
    vk::MemoryPool pool = options_.debug && !zero_copy ? vk::MemoryPool::HostVisible : vk::MemoryPool::DeviceLocal;
    st->alloc = alloc.allocate(binding_bytes(v.desc.bytes()), pool, "state '" + v.name + "'");
    if (st->alloc.mapped()) std::memset(st->alloc.mapped(), 0, binding_bytes(v.desc.bytes()));
    states_.emplace(v.name, std::move(st));
  }

  plan->memory = plan_memory(graph, plan->nodes, std::max<uint64_t>({dev.min_storage_buffer_offset_alignment, dev.min_texel_buffer_offset_alignment, 64}),
                             !options_.debug);
  // In debug mode every intermediate is read back, so the arena must be host-visible.
  vk::MemoryPool arena_pool = options_.debug && !zero_copy ? vk::MemoryPool::HostVisible : vk::MemoryPool::DeviceLocal;
  plan->arena = alloc.allocate(std::max<uint64_t>(plan->memory.arena_bytes, 4), arena_pool, "activation arena");

  for (ValueId v = 0; v < graph.values().size(); ++v) {
    const Value& val = graph.values()[v];
    if (val.kind != ValueKind::Input) continue;
    uint64_t bytes = binding_bytes(val.desc.bytes());
    plan->inputs.emplace(v, alloc.allocate(bytes, vk::MemoryPool::DeviceLocal, "input '" + val.name + "'"));
    if (!zero_copy) plan->staging.emplace(v, alloc.allocate(bytes, vk::MemoryPool::Staging, "input '" + val.name + "'"));
  }

  plan->recorder = std::make_unique<vk::CommandRecorder>(ctx_);
  vk::CommandRecorder& rec = *plan->recorder;
  rec.begin();
  if (has_states) rec.barrier("states: the previous submission's writes");
  for (auto& [v, stage] : plan->staging) rec.copy(stage.view(), plan->inputs.at(v).view(), "input " + graph.value(v).name);
  for (size_t i = 0; i < plan->nodes.size(); ++i) {
    const Node& node = plan->nodes[i];
    const Launch& launch = launches[i];
    std::vector<vk::Binding> bindings;
    auto input = [&](size_t in) {
      const RowLayout l = layout_of(launch, in);
      if (!l.plain()) {
        const Value& w = graph.value(node.inputs[in]);
        return vk::Binding{weights_.at({w.constant.data, w.constant.bytes, w.constant.tag, l})->alloc.view(), false};
      }
      // Kernels of strided ops apply a view's offset themselves; the others bind its range.
      const bool strided = graph.ops().get(node.op).strided_inputs;
      return vk::Binding{storage(*plan, graph, node.inputs[in], !strided), false};
    };
    if (launch.bindings.empty()) {
      for (size_t in = 0; in < node.inputs.size(); ++in) bindings.push_back(input(in));
      bindings.push_back({storage(*plan, graph, node.output), true});
    } else {
      for (int slot : launch.bindings)
        bindings.push_back(slot < 0 ? vk::Binding{storage(*plan, graph, node.output), true} : input(static_cast<size_t>(slot)));
    }
    for (const auto& [slot, format] : launch.texels) bindings.at(static_cast<size_t>(slot)).texel = format;
    const vk::Kernel& kernel = ctx_.kernels().get(launch.kernel, launch.spec);
    rec.dispatch(kernel, bindings, launch.push, launch.groups, node.name);
  }
  if (!zero_copy && arena_pool == vk::MemoryPool::DeviceLocal) {
    for (ValueId v : graph.outputs()) {
      ValueId s = graph.value(v).kind == ValueKind::View ? graph.value(v).base : v;
      if (plan->readback.count(s)) continue;
      vk::BufferView src = storage(*plan, graph, s);
      auto& rb = plan->readback[s] = alloc.allocate(src.size, vk::MemoryPool::HostVisible, "output '" + graph.value(v).name + "'");
      rec.copy(src, rb.view(), "read back " + graph.value(v).name);
    }
  }
  rec.end();
  ++plans_recorded_;
  return *plans_.emplace(key, std::move(plan)).first->second;
}

std::vector<float> Executor::read_value(const Plan& plan, const Graph& graph, ValueId v,
                                        const std::map<std::string, HostTensor>& inputs) const {
  const Value& val = graph.value(v);
  const Value& base = val.kind == ValueKind::View ? graph.value(val.base) : val;
  ValueId base_id = val.kind == ValueKind::View ? val.base : v;
  std::vector<float> data;
  switch (base.kind) {
    case ValueKind::Constant:
      if (base.constant.fill) {  // produced on demand: materialize it for the comparison
        std::vector<uint8_t> bytes(base.constant.bytes);
        base.constant.fill(0, bytes.size(), bytes.data());
        data = convert_to_f32(base.desc.dtype, bytes.data(), base.desc.elements());
      } else {
        data = convert_to_f32(base.desc.dtype, base.constant.data, base.desc.elements());
      }
      break;
    case ValueKind::Input: data = inputs.at(base.name).to_f32(); break;
    case ValueKind::State:
      data = convert_to_f32(base.desc.dtype, host_pointer(states_.at(base.name)->alloc, "state"), base.desc.elements());
      break;
    default: {
      const uint8_t* p = nullptr;
      if (auto rb = plan.readback.find(base_id); rb != plan.readback.end())
        p = static_cast<const uint8_t*>(host_pointer(rb->second, "readback"));
      else
        p = static_cast<const uint8_t*>(host_pointer(plan.arena, "arena")) + plan.memory.offset[base_id];
      data = convert_to_f32(base.desc.dtype, p, base.desc.elements());
    }
  }
  if (val.kind != ValueKind::View) return data;
  std::vector<float> out;
  gather_strided(data, val.desc, val.strides, val.offset, out);
  return out;
}

void Executor::check_nodes(const Plan& plan, const Graph& graph, const std::map<std::string, HostTensor>& inputs) {
  stats_.nodes_checked = 0;
  for (const Node& node : graph.nodes()) {
    OpCall call{node, {}, graph.value(node.output)};
    std::vector<std::vector<float>> ins;
    for (ValueId in : node.inputs) {
      call.inputs.push_back(&graph.value(in));
      ins.push_back(read_value(plan, graph, in, inputs));
    }
    std::vector<float> expect(static_cast<size_t>(call.output.desc.elements()));
    graph.ops().get(node.op).cpu(call, ins, expect);
    std::vector<float> got = read_value(plan, graph, node.output, inputs);
    double err = 0, ref = 0, max_abs = 0;
    for (size_t i = 0; i < expect.size(); ++i) {
      double d = static_cast<double>(got[i]) - expect[i];
      if (std::isnan(d)) d = INFINITY;
      err += d * d;
      ref += static_cast<double>(expect[i]) * expect[i];
      max_abs = std::max(max_abs, std::abs(d));
    }
    double nmse = err / std::max(ref, 1e-30);
    ++stats_.nodes_checked;
    if (!(nmse <= options_.tolerance)) {
      stats_.mismatch = DebugMismatch{node.name, node.op, nmse, max_abs};
      spdlog::warn("debug: node '{}' (op {}) differs from its CPU reference: nmse {:.3g}, max abs error {:.3g}",
                   node.name, node.op, nmse, max_abs);
      return;
    }
  }
}

void Executor::reset_states() {
  plans_.clear();
  states_.clear();
}

HostTensor Executor::read_state(const std::string& name) const {
  auto it = states_.find(name);
  if (it == states_.end()) throw InputError("no state named '" + name + "'");
  TensorDesc desc = it->second->desc;
  std::vector<float> data = convert_to_f32(desc.dtype, host_pointer(it->second->alloc, "state"), desc.elements());
  desc.dtype = DType::F32;
  return HostTensor::from_f32(desc, data);
}

std::map<std::string, HostTensor> Executor::run(const Graph& original, const std::map<std::string, HostTensor>& inputs) {
  auto t0 = std::chrono::steady_clock::now();
  stats_ = RunStats{};
  // Inputs: every graph input provided with the exact desc, nothing extra.
  size_t n_inputs = 0;
  for (const Value& v : original.values()) {
    if (v.kind != ValueKind::Input) continue;
    ++n_inputs;
    auto it = inputs.find(v.name);
    if (it == inputs.end()) throw InputError("graph input '" + v.name + "' " + v.desc.str() + " was not provided");
    if (it->second.desc != v.desc)
      throw InputError("graph input '" + v.name + "' expects " + v.desc.str() + ", got " + it->second.desc.str());
    if (it->second.bytes.size() != v.desc.bytes())
      throw InputError("graph input '" + v.name + "' has " + std::to_string(it->second.bytes.size()) + " bytes, expected " +
                       std::to_string(v.desc.bytes()));
  }
  if (inputs.size() != n_inputs)
    for (const auto& [name, t] : inputs) {
      bool known = false;
      for (const Value& v : original.values()) known |= v.kind == ValueKind::Input && v.name == name;
      if (!known) throw InputError("'" + name + "' is not an input of the graph");
    }

  Plan& plan = prepare(original);
  const Graph& graph = plan.graph(original);
  for (auto& [v, a] : plan.inputs) {
    const HostTensor& t = inputs.at(graph.value(v).name);
    auto st = plan.staging.find(v);
    void* dst = st != plan.staging.end() ? st->second.mapped() : a.mapped();
    std::memcpy(dst, t.bytes.data(), t.bytes.size());
  }
  plan.recorder->submit_and_wait();

  std::map<std::string, HostTensor> outputs;
  for (ValueId v : graph.outputs()) {
    const Value& val = graph.value(v);
    TensorDesc desc = val.desc;
    desc.dtype = DType::F32;
    outputs[val.name] = HostTensor::from_f32(desc, read_value(plan, graph, v, inputs));
  }
  stats_.arena_bytes = plan.memory.arena_bytes;
  stats_.naive_bytes = plan.memory.naive_bytes;
  stats_.weight_bytes = plan.weight_bytes;
  stats_.dispatches = plan.recorder->dispatch_count();
  stats_.barriers = plan.recorder->barrier_count();
  stats_.submissions = 1;
  for (const auto& t : plan.recorder->timings()) stats_.timings.push_back({t.label, t.kernel, t.ms});
  if (options_.debug) check_nodes(plan, graph, inputs);
  stats_.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return outputs;
}

}  // namespace facet
