// The explicit registry of ops. Each op has shape inference, kernel selection (kernel name,
// specialization constants, push constants, workgroups, binding order) from DeviceInfo, and a
// CPU reference. Core ops are added by register_core_ops(); nothing registers itself statically.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "graph/graph.hpp"
#include "graph/interleave.hpp"
#include "vk/command_recorder.hpp"
#include "vk/device_info.hpp"

namespace facet {

// What an op sees of one node when selecting a kernel or running its CPU reference.
struct OpCall {
  const Node& node;
  std::vector<const Value*> inputs;
  const Value& output;

  int64_t attr_int(const std::string& name, int64_t fallback) const;
  double attr_float(const std::string& name, double fallback) const;
};

struct Launch {
  std::string kernel;
  std::vector<uint32_t> spec;
  std::vector<uint8_t> push;
  vk::Groups groups;
  // Binding slot -> input index, or -1 for the output. Empty: inputs in order, then the output.
  std::vector<int> bindings;
  // Slots bound as uniform texel buffers of a format (vk::Binding::texel), e.g. weights that CPU
  // drivers fetch through their vectorized sampler path; the others are storage buffers.
  std::map<int, VkFormat> texels;
  // Slots whose input, a constant matrix, is bound in another row layout (interleaved rows, padded
  // blocks: graph/interleave.hpp). The executor uploads that layout instead of (or beside) the
  // plain one.
  std::map<int, RowLayout> layouts;

  template <class T>
  void set_push(const T& value) {
    push.resize(sizeof(T));
    std::memcpy(push.data(), &value, sizeof(T));
  }
};

struct OpDef {
  std::string name;
  // Output desc from input values and attributes; throws InputError naming the node.
  std::function<TensorDesc(const std::vector<const Value*>& inputs, const Attrs& attrs, const std::string& node)> infer;
  std::function<Launch(const OpCall& call, const vk::DeviceInfo& device)> select;
  // Dense f32 inputs (views already gathered) -> dense f32 output of output.desc's element count.
  std::function<void(const OpCall& call, const std::vector<std::vector<float>>& inputs, std::vector<float>& output)> cpu;
  bool strided_inputs = false;  // kernel reads views through strides (else inputs are made contiguous)
  bool in_place = false;        // writes into input 0 (a state); the output is a view of it
};

class OpRegistry {
 public:
  void add(OpDef def);  // throws InternalError on a duplicate name
  const OpDef& get(const std::string& name) const;  // throws InputError naming unknown ops
  bool has(const std::string& name) const { return ops_.count(name) != 0; }
  std::vector<std::string> names() const;

 private:
  std::map<std::string, OpDef> ops_;
};

// Adds every core op (see core/ops/register.cpp for the list).
void register_core_ops(OpRegistry& registry);
// The registry with the core ops, built once.
const OpRegistry& core_ops();

// Workgroups and chunk size for an elementwise kernel over n elements (see facet/common.glsl).
struct ElementwiseLayout {
  uint32_t workgroup = 64;
  uint32_t chunk = 1;
  bool contiguous = false;
  vk::Groups groups;
};
ElementwiseLayout elementwise_layout(uint64_t n, const vk::DeviceInfo& device);

// `groups` workgroups (at least 1) spread over x (at most 65535 and the device's limit) and y;
// shaders number them with facet_group_index() (facet/common.glsl).
vk::Groups grid_of(uint64_t groups, const vk::DeviceInfo& device);

}  // namespace facet
