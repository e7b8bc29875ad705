// Body of the texel-buffer matmul kernels for CPU devices (matmul_texel*.comp). Each invocation
// computes a register tile of MB x NB outputs (columns G apart, see matmul_texel_common.glsl), streaming rows of x
// (RGBA32F texels, four elements each) and of w along K in steps of STEP elements: per step, MB * STEP/4
// fetches of x and NB fetches of w feed MB * NB * STEP multiply-adds (docs/benchmarks.md).
// Expects STEP, sampler a (vec4 texels), sampler b (one texel per step of a w row) and
//   LOAD_W(texel, out vec4 w[STEP / 4]) unpacking one texel of b into STEP weights.
#include "matmul_texel_common.glsl"

const uint V = STEP / 4u;  // vec4s per step

void main() {
  uint batch, m0, n0;
  if (!tile_of_invocation(batch, m0, n0)) return;
  uint steps = pc.K / STEP;
  int arows[MB];
  [[unroll]] for (uint i = 0u; i < MB; ++i) arows[i] = x_row(batch, m0, i);
  int rows[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = w_row(batch, n0, j, STEP, 1u);
  [[unroll]] for (uint t = 0u; t < MB * NB; ++t) acc[t] = 0.0;
  for (int k = 0; k < int(steps); ++k) {
    vec4 av[MB * V];
    [[unroll]] for (uint i = 0u; i < MB; ++i)
      [[unroll]] for (uint v = 0u; v < V; ++v) av[i * V + v] = texelFetch(a, arows[i] + k * int(V) + int(v));
    [[unroll]] for (uint j = 0u; j < NB; ++j) {
      vec4 wv[V];
      LOAD_W(rows[j] + k * int(G), wv);
      [[unroll]] for (uint i = 0u; i < MB; ++i)
        [[unroll]] for (uint v = 0u; v < V; ++v) acc[i * NB + j] += dot(av[i * V + v], wv[v]);
    }
  }
  store_tile(batch, m0, n0);
}
