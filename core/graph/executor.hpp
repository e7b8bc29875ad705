// Executor: turns a Graph into a Plan (row parts for weights above the binding limit,
// graph/split.hpp; weights uploaded once, inputs and an arena allocated, every
// node's kernel selected and recorded into one command buffer = one submission) and runs it.
// A plan is reused while the graph's fingerprint (structure, shapes, attributes, constants) is
// unchanged: a second run only writes the inputs, submits, and reads the outputs.
//
// Debug mode gives every intermediate its own memory, then runs each node's CPU reference on the
// GPU's own inputs to that node and reports the first node whose normalized MSE exceeds the
// tolerance. Profiling records a GPU timestamp pair per dispatch.
//
// States (Graph::state, a KV cache) are device buffers kept by name across runs until
// reset_states(); a plan that uses them starts with a barrier, so each run sees the writes of the
// previous submission.
//
// Ownership: holds Allocations and CommandRecorders of its Context; destroy before the Context.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "graph/graph.hpp"
#include "graph/host_tensor.hpp"
#include "graph/interleave.hpp"
#include "vk/command_recorder.hpp"

namespace facet {

namespace vk {
class Context;
}

struct ExecOptions {
  bool debug = false;
  double tolerance = 1e-4;  // normalized MSE per node in debug mode
  // Largest tensor one kernel binds, in bytes (0: the device's maxStorageBufferRange). Larger
  // matmul weights and embedding tables run as row parts (graph/split.hpp); tests lower it.
  uint64_t max_binding_bytes = 0;
  // Sibling matmuls (same input, constant weights) run as one dispatch outside debug mode
  // (graph/merge.hpp); false keeps them apart (A/B tests).
  bool merge_siblings = true;
};

struct NodeTiming {
  std::string node;
  std::string kernel;
  double ms = 0;
};

struct DebugMismatch {
  std::string node;
  std::string op;
  double nmse = 0;
  double max_abs_error = 0;
};

struct RunStats {
  uint64_t arena_bytes = 0;  // peak arena bytes of the plan
  uint64_t naive_bytes = 0;  // what the intermediates would take without reuse
  uint64_t weight_bytes = 0;
  uint32_t dispatches = 0;
  uint32_t barriers = 0;
  uint32_t submissions = 0;
  bool reused_plan = false;
  double wall_ms = 0;
  std::vector<NodeTiming> timings;     // profiling only
  std::optional<DebugMismatch> mismatch;  // debug mode only
  uint32_t nodes_checked = 0;             // debug mode only
};

class Executor {
 public:
  explicit Executor(vk::Context& ctx, ExecOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs the graph with host inputs (by input name; descs must match) and returns its outputs
  // by name as f32 host tensors.
  std::map<std::string, HostTensor> run(const Graph& graph, const std::map<std::string, HostTensor>& inputs);
  const RunStats& last_stats() const { return stats_; }
  // Forgets every state (a new conversation) and the plans that refer to them.
  void reset_states();
  // A state's current contents as f32 (tests, debugging); InputError when there is none by that name.
  HostTensor read_state(const std::string& name) const;
  size_t plans_recorded() const { return plans_recorded_; }

 private:
  struct Plan;
  Plan& prepare(const Graph& original);
  void upload_weight(const Value& v, const RowLayout& layout);
  // Where v lives: a view as its base's whole storage, or (at_offset) as its own range of it.
  vk::BufferView storage(const Plan& plan, const Graph& graph, ValueId v, bool at_offset = false) const;
  std::vector<float> read_value(const Plan& plan, const Graph& graph, ValueId v,
                                const std::map<std::string, HostTensor>& inputs) const;
  void check_nodes(const Plan& plan, const Graph& graph, const std::map<std::string, HostTensor>& inputs);

  vk::Context& ctx_;
  ExecOptions options_;
  RunStats stats_;
  size_t plans_recorded_ = 0;
  struct Weight;
  // By (host data pointer, bytes, tag, row layout): each layout of each host range (a whole
  // constant or a row part of one, graph/split.hpp) or joined ranges (graph/merge.hpp) uploaded once.
  using WeightKey = std::tuple<const void*, uint64_t, uint64_t, RowLayout>;
  std::map<WeightKey, std::unique_ptr<Weight>> weights_;
  struct State;
  std::map<std::string, std::unique_ptr<State>> states_;    // by name: kept across runs
  std::map<uint64_t, std::unique_ptr<Plan>> plans_;
};

}  // namespace facet
