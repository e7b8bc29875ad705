// Body of the matrix-vector kernels for 32-element block types (Q8_0, Q4_0, Q4_1): as
// matvec_body.glsl, but lanes split K in whole blocks, and each lane reads a block's scale once
// and its quants as 32-bit words. Expects NB, HAS_BIAS, pc, a4, b (uint[]), bias, c and
// float DOT_BLOCK(uint block, vec4 x[8]).

// The 32-bit word at an even byte offset (blocks of 34, 18 and 20 bytes start at even offsets).
uint word_at(uint byte_offset) {
  uint w = b[byte_offset >> 2];
  if ((byte_offset & 3u) == 0u) return w;
  return (w >> 16) | (b[(byte_offset >> 2) + 1u] << 16);
}

void main() {
  uint nblocks = (pc.N + NB - 1u) / NB;
  uint task = facet_group_index() * (gl_WorkGroupSize.x / gl_SubgroupSize) + gl_SubgroupID;
  if (task >= pc.M * nblocks) return;  // uniform within the subgroup
  uint m = task / nblocks, n0 = (task % nblocks) * NB;
  uint blocks = pc.K / 32u;
  float acc[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] = 0.0;
  for (uint blk = gl_SubgroupInvocationID; blk < blocks; blk += gl_SubgroupSize) {
    vec4 x[8];
    [[unroll]] for (uint t = 0u; t < 8u; ++t) x[t] = a4[(m * pc.K) / 4u + blk * 8u + t];
    [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] += DOT_BLOCK(min(n0 + j, pc.N - 1u) * blocks + blk, x);
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
