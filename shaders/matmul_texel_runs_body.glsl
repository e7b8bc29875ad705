// Body of the texel-buffer matmul kernels for Q8_0, Q4_0 and Q4_1 weights on CPU devices
// (matmul_texel_q8_0/q4_0/q4_1.comp): a register tile of MB x NB outputs per invocation as
// matmul_texel_body.glsl, w a constant in split runs (texel_runs.glsl). Per run of 256 weights the
// tile fetches each row's heads once; then per quant texel of w (16 or 32 weights) one fetch per
// row, dequantized 8 weights at a time (scale applied to the weight, so the sums are those of the
// dequantized matrix), against 2 texels of x per row of the tile: per 8 weights MB * 2 + NB / PARTS
// fetches feed MB * NB * 8 multiply-adds. Expects sampler a (vec4 texels of x).
#include "matmul_texel_common.glsl"

void main() {
  uint batch, m0, n0;
  if (!tile_of_invocation(batch, m0, n0)) return;
  uint runs = pc.K / 256u;
  int arows[MB];
  [[unroll]] for (uint i = 0u; i < MB; ++i) arows[i] = x_row(batch, m0, i);
  int rows[NB];  // first texel of each weight row
  [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = w_row(batch, n0, j, 256u, RUN_TEXELS);
  [[unroll]] for (uint t = 0u; t < MB * NB; ++t) acc[t] = 0.0;
  for (int r = 0; r < int(runs); ++r) {
    Head head[NB];
    [[unroll]] for (uint j = 0u; j < NB; ++j)
      [[unroll]] for (uint h = 0u; h < HEAD_TEXELS; ++h) head[j].t[h] = texelFetch(b, rows[j] + (r * int(RUN_TEXELS) + int(h)) * int(G));
    for (uint u = 0u; u < QUANT_TEXELS; ++u) {
      uvec4 qt[NB];
      float d[NB], m[NB];
      [[unroll]] for (uint j = 0u; j < NB; ++j) {
        qt[j] = texelFetch(b, rows[j] + (r * int(RUN_TEXELS) + int(HEAD_TEXELS + u)) * int(G));
        block_scale(head[j], u / BLOCK_TEXELS, d[j], m[j]);
      }
      [[unroll]] for (uint h = 0u; h < PARTS; ++h) {
        vec4 xv[MB * 2u];
        const int x0 = r * 64 + int(u * PARTS * 2u + h * 2u);  // x texel of the part's first weight
        [[unroll]] for (uint i = 0u; i < MB; ++i) {
          xv[i * 2u] = texelFetch(a, arows[i] + x0);
          xv[i * 2u + 1u] = texelFetch(a, arows[i] + x0 + 1);
        }
        [[unroll]] for (uint j = 0u; j < NB; ++j) {
          vec4 w0, w1;
          weights8(qt[j], h, d[j], m[j], w0, w1);
          [[unroll]] for (uint i = 0u; i < MB; ++i) acc[i * NB + j] += dot(xv[i * 2u], w0) + dot(xv[i * 2u + 1u], w1);
        }
      }
    }
  }
  store_tile(batch, m0, n0);
}
