// Body of the texel-buffer matrix-vector kernels for CPU devices (matvec_texel*.comp), for few rows
// of x (decode): each subgroup computes NB outputs of one row of x, its lanes splitting K in steps of
// STEP elements (adjacent lanes read adjacent texels of the same weight rows), summed with
// subgroupAdd. Expects STEP, sampler a (vec4 texels), sampler b and LOAD_W as matmul_texel_body.glsl.
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
#include "matmul_texel_common.glsl"

const uint V = STEP / 4u;  // vec4s per step

void main() {
  uint nblocks = (pc.N + NB - 1u) / NB;
  uint task = facet_group_index() * (gl_WorkGroupSize.x / gl_SubgroupSize) + gl_SubgroupID;
  if (task >= pc.M * nblocks) return;  // uniform within the subgroup
  uint m = task / nblocks, n0 = (task % nblocks) * NB;
  uint steps = pc.K / STEP;
  int arow = int((m * pc.K) / 4u);
  int rows[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = int((min(n0 + j, pc.N - 1u) * pc.K) / STEP);
  [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] = 0.0;
  for (int k = int(gl_SubgroupInvocationID); k < int(steps); k += int(gl_SubgroupSize)) {
    vec4 av[V];
    [[unroll]] for (uint v = 0u; v < V; ++v) av[v] = texelFetch(a, arow + k * int(V) + int(v));
    [[unroll]] for (uint j = 0u; j < NB; ++j) {
      vec4 wv[V];
      LOAD_W(rows[j] + k, wv);
      [[unroll]] for (uint v = 0u; v < V; ++v) acc[j] += dot(av[v], wv[v]);
    }
  }
  [[unroll]] for (uint j = 0u; j < NB; ++j) {
    float s = subgroupAdd(acc[j]);
    uint n = n0 + j;
    if (subgroupElect() && n < pc.N) {
      float y = HAS_BIAS ? s + bias[n] : s;
      store_output(0u, m, n, y);
    }
  }
}
