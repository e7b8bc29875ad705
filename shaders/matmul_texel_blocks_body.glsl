// Body of the texel-buffer matmul kernels for 32-element block types on CPU devices
// (matmul_texel_q8_0/q4_0/q4_1.comp). As matmul_texel_body.glsl, each invocation computes a register
// tile of MB x NB outputs, but w is RGBA32UI texels of the raw GGUF blocks. A step is 8 blocks
// (256 weights, BLOCK_BYTES / 2 texels, so K % 256 == 0); inside a step the blocks are unrolled, so
// every byte offset is a compile-time constant, and a texel shared by two blocks is fetched once.
// Per block: 8 fetches of x per row of the tile, 1-2 new texels per weight row, MB * NB * 32
// multiply-adds on the raw quants, scaled once per block. Expects sampler a (vec4 texels of x) and
// what texel_blocks.glsl declares.
#include "matmul_texel_common.glsl"

const uint STEP_TEXELS = BLOCK_BYTES / 2u;  // 8 blocks in 16-byte texels

void main() {
  uint batch, m0, n0;
  if (!tile_of_invocation(batch, m0, n0)) return;
  uint steps = pc.K / 256u;
  int arows[MB];
  [[unroll]] for (uint i = 0u; i < MB; ++i) arows[i] = x_row(batch, m0, i);
  int rows[NB];  // first texel of each weight row
  [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = w_row(batch, n0, j, 256u, STEP_TEXELS);
  [[unroll]] for (uint t = 0u; t < MB * NB; ++t) acc[t] = 0.0;
  uvec4 carry[NB];
  for (int s = 0; s < int(steps); ++s) {
    [[unroll]] for (uint blk = 0u; blk < 8u; ++blk) {
      const uint lo = BLOCK_BYTES * blk / 16u, hi = (BLOCK_BYTES * blk + BLOCK_BYTES - 1u) / 16u;
      const uint o = BLOCK_BYTES * blk - 16u * lo;  // the block's byte offset in its window
      vec4 x[MB * 8u];
      float xsum[MB];
      [[unroll]] for (uint i = 0u; i < MB; ++i) {
        [[unroll]] for (uint t = 0u; t < 8u; ++t) x[i * 8u + t] = texelFetch(a, arows[i] + s * 64 + int(blk * 8u + t));
        xsum[i] = 0.0;
        if (NEEDS_XSUM) [[unroll]] for (uint t = 0u; t < 8u; ++t) xsum[i] += dot(x[i * 8u + t], vec4(1.0));
      }
      [[unroll]] for (uint j = 0u; j < NB; ++j) {
        int base = rows[j] + (s * int(STEP_TEXELS) + int(lo)) * int(G);
        uvec4 t0 = (blk > 0u && lo == (BLOCK_BYTES * blk - 1u) / 16u) ? carry[j] : texelFetch(b, base);
        uvec4 t1 = texelFetch(b, base + int(G));
        uvec4 t2 = hi == lo + 2u ? texelFetch(b, base + 2 * int(G)) : t1;
        carry[j] = t2;
        window = uint[12](t0.x, t0.y, t0.z, t0.w, t1.x, t1.y, t1.z, t1.w, t2.x, t2.y, t2.z, t2.w);
        vec4 q[8];
        float d, mn;
        unpack_block(o, q, d, mn);
        [[unroll]] for (uint i = 0u; i < MB; ++i) {
          float dotq = 0.0;
          [[unroll]] for (uint t = 0u; t < 8u; ++t) dotq += dot(x[i * 8u + t], q[t]);
          acc[i * NB + j] += d * dotq;
          if (NEEDS_XSUM) acc[i * NB + j] += mn * xsum[i];
        }
      }
    }
  }
  store_tile(batch, m0, n0);
}
