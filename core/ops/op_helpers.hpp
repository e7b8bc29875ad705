// Small helpers shared by the core op definitions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "graph/op_registry.hpp"
#include "util/error.hpp"

namespace facet::ops {

inline void expect_inputs(const std::vector<const Value*>& in, size_t lo, size_t hi, const std::string& node,
                          const char* op) {
  if (in.size() < lo || in.size() > hi)
    throw InputError(node + ": op '" + op + "' takes " + std::to_string(lo) +
                     (lo == hi ? "" : ".." + std::to_string(hi)) + " inputs, got " + std::to_string(in.size()));
}

inline void expect_dtype(const Value& v, DType t, const std::string& node, const char* what) {
  if (v.desc.dtype != t)
    throw InputError(node + ": " + what + " '" + v.name + "' must be " + std::string(dtype_name(t)) + ", got " + v.desc.str());
}

// Push constants of an elementwise kernel: n, chunk, then the op's own fields.
// Whether a value can be bound as a texel buffer of texel_bytes-sized texels: its storage starts
// where a texel-buffer view (and a vec4 storage view) may (views into a larger tensor may not;
// whole tensors are allocated at the texel alignment), is whole texels, and not too many of them.
inline bool texel_viewable(const Value& v, uint64_t texel_bytes, const vk::DeviceInfo& dev) {
  const uint64_t size = v.desc.bytes();
  if (size % texel_bytes != 0 || size / texel_bytes > dev.max_texel_buffer_elements) return false;
  if (v.kind != ValueKind::View) return true;
  const uint64_t bytes = static_cast<uint64_t>(v.offset) * dtype_info(v.desc.dtype).block_bytes;
  return dev.min_texel_buffer_offset_alignment > 0 && bytes % dev.min_texel_buffer_offset_alignment == 0 && bytes % 16 == 0;
}

template <class Extra>
struct ElementwisePush {
  uint32_t n;
  uint32_t chunk;
  Extra extra;
};

template <class Extra>
Launch elementwise_launch(const std::string& kernel, uint64_t n, const vk::DeviceInfo& device, const Extra& extra) {
  ElementwiseLayout l = elementwise_layout(n, device);
  Launch launch;
  launch.kernel = kernel;
  launch.spec = {l.workgroup, l.contiguous ? 1u : 0u};
  launch.set_push(ElementwisePush<Extra>{static_cast<uint32_t>(n), l.chunk, extra});
  launch.groups = l.groups;
  return launch;
}

// For kernels whose push constants are only n and chunk.
inline Launch elementwise_launch(const std::string& kernel, uint64_t n, const vk::DeviceInfo& device) {
  Launch l = elementwise_launch(kernel, n, device, uint32_t{0});
  l.push.resize(2 * sizeof(uint32_t));  // drop the placeholder extra field
  return l;
}

// CPU devices: the texel-buffer variant "<kernel>_texel" of an elementwise kernel
// (elementwise_texel_loop.glsl) when n and every input's size are whole vec4s and every input can
// be a RGBA32F texel buffer; the launch binds every input slot as one. nullopt otherwise.
template <class Extra>
std::optional<Launch> elementwise_texel_launch(const std::string& kernel, const OpCall& c, const vk::DeviceInfo& device,
                                               const Extra& extra) {
  const uint64_t n = static_cast<uint64_t>(c.output.desc.elements());
  if (!device.quirks.contiguous_work_layout || n % 4 != 0) return std::nullopt;
  for (const Value* v : c.inputs)
    if (v->desc.elements() % 4 != 0 || !texel_viewable(*v, 16, device)) return std::nullopt;
  constexpr uint32_t kWorkgroup = 64, kMaxGroups = 32;  // a few large workgroups for the worker threads
  Launch l;
  l.kernel = kernel + "_texel";
  l.spec = {kWorkgroup, 1u};
  l.set_push(ElementwisePush<Extra>{static_cast<uint32_t>(n), 0u, extra});
  l.groups = grid_of(std::min<uint64_t>((n / 4 + kWorkgroup - 1) / kWorkgroup, kMaxGroups), device);
  for (size_t i = 0; i < c.inputs.size(); ++i) l.texels[static_cast<int>(i)] = VK_FORMAT_R32G32B32A32_SFLOAT;
  return l;
}

// A launch of core/copy writing `out` (contiguous) from a view with these element strides/offset.
inline Launch strided_copy(const TensorDesc& out, const std::array<int64_t, kMaxDims>& strides, int64_t offset,
                           const vk::DeviceInfo& device) {
  struct CopyExtra {
    uint32_t offset, d1, d2, d3, s0, s1, s2, s3;
  };
  uint32_t dims[4] = {1, 1, 1, 1}, st[4] = {0, 0, 0, 0};
  uint32_t pad = 4 - out.rank;
  for (uint32_t i = 0; i < out.rank; ++i) {
    dims[pad + i] = static_cast<uint32_t>(out.dims[i]);
    st[pad + i] = static_cast<uint32_t>(strides[i]);
  }
  return elementwise_launch("core/copy", out.elements(), device,
                            CopyExtra{static_cast<uint32_t>(offset), dims[1], dims[2], dims[3], st[0], st[1], st[2], st[3]});
}

}  // namespace facet::ops
