#version 450
#extension GL_GOOGLE_include_directive : require
// matmul for CPU devices with x and w read as uniform texel buffers (vec4 texels: RGBA32F for x,
// RGBA32F or RGBA16F for f32 or f16 weights): CPU drivers fetch texels through their vectorized
// sampler code, where a storage-buffer load is a per-lane scalar loop (docs/benchmarks.md).
// Same contract as matmul_f32/f16 with K % 4 == 0. Each invocation computes NB adjacent outputs
// C[m, n0 .. n0+NB), streaming row m of x and rows n0.. of w along K, four elements per fetch.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;

layout(push_constant) uniform Push { uint M; uint N; uint K; uint a_batch; uint b_batch; uint c_batch; } pc;
layout(binding = 8) uniform samplerBuffer a;   // slot 0
layout(binding = 9) uniform samplerBuffer b;   // slot 1
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer C { float c[]; };

void main() {
  uint nblocks = (pc.N + NB - 1u) / NB;
  uint inv = facet_invocation_index();
  if (inv >= pc.M * nblocks) return;
  uint batch = gl_WorkGroupID.z;
  uint m = inv / nblocks, n0 = (inv % nblocks) * NB;
  uint k4 = pc.K / 4u;
  int a_row = int((batch * pc.a_batch + m * pc.K) / 4u);
  int rows[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = int((batch * pc.b_batch + min(n0 + j, pc.N - 1u) * pc.K) / 4u);
  float acc[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] = 0.0;
  for (int k = 0; k < int(k4); ++k) {
    vec4 av = texelFetch(a, a_row + k);
    [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] += dot(av, texelFetch(b, rows[j] + k));
  }
  uint c_row = batch * pc.c_batch + m * pc.N;
  [[unroll]] for (uint j = 0u; j < NB; ++j) {
    uint n = n0 + j;
    if (n < pc.N) c[c_row + n] = HAS_BIAS ? acc[j] + bias[n] : acc[j];
  }
}
