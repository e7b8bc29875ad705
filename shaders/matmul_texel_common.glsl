// Declarations shared by the texel-buffer matmul bodies (matmul_texel_body.glsl,
// matmul_texel_blocks_body.glsl, matvec_texel_body.glsl): the contract of matmul_f32 (push
// constants, bias at binding 2, output at binding 3), the tile shape, the accumulators, and the
// tile's store.
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;  // outputs per tile along N
layout(constant_id = 3) const uint MB = 1;  // rows of x per tile (the matrix-vector body uses 1)

layout(push_constant) uniform Push { uint M; uint N; uint K; uint a_batch; uint b_batch; uint c_batch; } pc;
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer C { float c[]; };

float acc[MB * NB];

// C[m0 .. m0+MB, n0 .. n0+NB) of the batch's output = acc (+ bias), clipped to M x N.
void store_tile(uint batch, uint m0, uint n0) {
  [[unroll]] for (uint i = 0u; i < MB; ++i) {
    uint m = m0 + i;
    if (m >= pc.M) break;
    uint c_row = batch * pc.c_batch + m * pc.N;
    [[unroll]] for (uint j = 0u; j < NB; ++j) {
      uint n = n0 + j;
      if (n < pc.N) c[c_row + n] = HAS_BIAS ? acc[i * NB + j] + bias[n] : acc[i * NB + j];
    }
  }
}

// The tile of this invocation (tiles are numbered along N first): false past the last one.
bool tile_of_invocation(out uint batch, out uint m0, out uint n0) {
  uint ntiles = (pc.N + NB - 1u) / NB;
  uint inv = facet_invocation_index();
  batch = gl_WorkGroupID.z;
  m0 = (inv / ntiles) * MB;
  n0 = (inv % ntiles) * NB;
  return inv < ((pc.M + MB - 1u) / MB) * ntiles;
}

// Texel indices of the tile's rows of x (vec4 texels) and of w (in units of `unit` weights, which
// divides K); rows past the end repeat the last one (their results are not stored).
int x_row(uint batch, uint m0, uint i) { return int((batch * pc.a_batch + min(m0 + i, pc.M - 1u) * pc.K) / 4u); }
int w_row(uint batch, uint n0, uint j, uint unit) {
  return int((batch * pc.b_batch + min(n0 + j, pc.N - 1u) * pc.K) / unit);
}
