// The loop shared by the texel-buffer elementwise kernels for CPU devices (*_texel.comp): calls
// ELEMENT4(i) for every vec4 index i < n / 4 (n % 4 == 0): each workgroup streams its own
// contiguous range (friendlier to the worker threads' prefetchers than a grid-wide stride), its
// invocations taking adjacent texels. Inputs are RGBA32F texel buffers (vectorized fetches, docs/benchmarks.md), outputs
// vec4 storage. Expects push constants `n` and `chunk` (unused), and local_size_x_id = 0 declared
// before facet/common.glsl is included.
layout(constant_id = 1) const bool CONTIGUOUS = true;  // unused: the layout is fixed

void facet_elementwise_texel_main() {
  uint n4 = pc.n / 4u, groups = gl_NumWorkGroups.x * gl_NumWorkGroups.y;
  uint per_group = (n4 + groups - 1u) / groups;
  uint begin = facet_group_index() * per_group, end = min(begin + per_group, n4);
  for (uint i = begin + gl_LocalInvocationID.x; i < end; i += gl_WorkGroupSize.x) ELEMENT4(int(i));
}
