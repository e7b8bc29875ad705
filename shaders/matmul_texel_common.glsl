// Declarations shared by the texel-buffer matmul bodies (matmul_texel_body.glsl,
// matmul_texel_runs_body.glsl, matvec_texel_body.glsl): the contract of matmul_f32 (push
// constants, bias at binding 2, output at binding 3), the tile shape, the accumulators, and the
// tile's store.
//
// A tile's NB columns are G apart: n0, n0 + G, ..., n0 + (NB - 1) * G, and G consecutive tiles
// (the lanes of a subgroup) start at consecutive columns, so at each step the lanes read G
// adjacent rows of w. With G > 1, w is a constant in interleaved rows of G
// (core/graph/interleave.hpp): those G rows' texels are adjacent in memory, and one fetch by the
// subgroup is one contiguous run. G = 1 is the plain row-major layout.
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;  // outputs per tile along N
layout(constant_id = 3) const uint MB = 1;  // rows of x per tile (the matrix-vector body uses 1)
layout(constant_id = 4) const uint G = 1;   // rows per interleave group of w; 1: plain rows

#include "matmul_io.glsl"

float acc[MB * NB];

// C[m0 .. m0+MB, columns n0 + j * G] of the batch's output = acc (+ bias), clipped to M x N.
void store_tile(uint batch, uint m0, uint n0) {
  [[unroll]] for (uint i = 0u; i < MB; ++i) {
    uint m = m0 + i;
    if (m >= pc.M) break;
    [[unroll]] for (uint j = 0u; j < NB; ++j) {
      uint n = n0 + j * G;
      if (n >= pc.N) continue;
      float y = HAS_BIAS ? acc[i * NB + j] + bias[n] : acc[i * NB + j];
      store_output(batch, m, n, y);
    }
  }
}

// The tile of this invocation (tiles are numbered along N first, G * NB columns per G tiles):
// false past the last one.
bool tile_of_invocation(out uint batch, out uint m0, out uint n0) {
  uint ntiles = (pc.N + NB * G - 1u) / (NB * G) * G;
  uint inv = facet_invocation_index();
  batch = gl_WorkGroupID.z;
  m0 = (inv / ntiles) * MB;
  uint nt = inv % ntiles;
  n0 = (nt / G) * G * NB + nt % G;
  return inv < ((pc.M + MB - 1u) / MB) * ntiles;
}

// Texel indices of the tile's rows of x (vec4 texels) and of the first texel of its row j of w,
// whose rows are `unit_texels` texels per `unit` weights (unit divides K); texel t of that row is
// at w_row(...) + t * G. Rows past the end repeat the last one (their results are not stored).
int x_row(uint batch, uint m0, uint i) { return int((batch * pc.a_batch + min(m0 + i, pc.M - 1u) * pc.K) / 4u); }
int w_row(uint batch, uint n0, uint j, uint unit, uint unit_texels) {
  uint n = min(n0 + j * G, pc.N - 1u);
  if (G == 1u) return int((batch * pc.b_batch + n * pc.K) / unit * unit_texels);
  uint texels = pc.K / unit * unit_texels;  // per row; interleaved weights are never batched
  return int((n / G) * texels * G + n % G);
}
