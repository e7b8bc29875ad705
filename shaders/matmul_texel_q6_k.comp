#version 450
#extension GL_GOOGLE_include_directive : require
// matmul for CPU devices with Q6_K weights: x as RGBA32F texels, w as RGBA32UI texels of the GGUF
// blocks, each padded from 210 to 224 bytes on upload (graph/interleave.hpp); K % 256 == 0. Same
// contract as matmul_q6_k. A padded block (256 weights) is 14 texels: 0..7 the low 4 bits (ql),
// 8..11 the high 2 bits (qh), 12 the 16 int8 sub-block scales, 13 d (f16) and zeros.
// Weight i (half h = i / 128, quarter q = i / 32 % 4, l = i % 32) is
//   d * scale[i / 16] * ((ql[64h + l + 32 (q & 1)] >> 4 (q / 2) & 15 | (qh[32h + l] >> 2q & 3) << 4) - 32),
// so the 16 weights of a sub-block (h, q, l / 16) take their low bits from one ql texel and their
// high bits from one qh texel. Tiles, interleaved rows and the store as matmul_texel_common.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer a;   // slot 0: x, RGBA32F
layout(binding = 9) uniform usamplerBuffer b;  // slot 1: w, RGBA32UI
#include "matmul_texel_common.glsl"

const uint BLOCK_TEXELS = 14u;

void main() {
  uint batch, m0, n0;
  if (!tile_of_invocation(batch, m0, n0)) return;
  uint steps = pc.K / 256u;
  int arows[MB];
  [[unroll]] for (uint i = 0u; i < MB; ++i) arows[i] = x_row(batch, m0, i);
  int rows[NB];  // first texel of each weight row
  [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = w_row(batch, n0, j, 256u, BLOCK_TEXELS);
  [[unroll]] for (uint t = 0u; t < MB * NB; ++t) acc[t] = 0.0;
  for (int s = 0; s < int(steps); ++s) {
    uvec4 scales[NB];
    float d[NB];
    [[unroll]] for (uint j = 0u; j < NB; ++j) {
      const int block = rows[j] + s * int(BLOCK_TEXELS * G);
      scales[j] = texelFetch(b, block + 12 * int(G));
      d[j] = unpackHalf2x16(texelFetch(b, block + 13 * int(G)).x).x;
    }
    [[unroll]] for (uint hl = 0u; hl < 4u; ++hl) {  // half h = hl / 2, sixteen l = hl % 2
      const uint h = hl >> 1, lh = hl & 1u;
      uvec4 low[NB * 2u], high[NB];
      [[unroll]] for (uint j = 0u; j < NB; ++j) {
        const int block = rows[j] + s * int(BLOCK_TEXELS * G);
        low[2u * j] = texelFetch(b, block + int(4u * h + lh) * int(G));
        low[2u * j + 1u] = texelFetch(b, block + int(4u * h + 2u + lh) * int(G));
        high[j] = texelFetch(b, block + int(8u + 2u * h + lh) * int(G));
      }
      [[unroll]] for (uint q = 0u; q < 4u; ++q) {  // sub-block 8h + 2q + lh: weights 128h + 32q + 16lh ..
        vec4 x[MB * 4u];
        float xsum[MB];
        [[unroll]] for (uint i = 0u; i < MB; ++i) {
          xsum[i] = 0.0;
          [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            x[i * 4u + t] = texelFetch(a, arows[i] + s * 64 + int(32u * h + 8u * q + 4u * lh + t));
            xsum[i] += dot(x[i * 4u + t], vec4(1.0));
          }
        }
        const uint sb = 8u * h + 2u * q + lh;
        [[unroll]] for (uint j = 0u; j < NB; ++j) {
          const float scale = d[j] * float(bitfieldExtract(int(scales[j][sb / 4u]), int(8u * (sb % 4u)), 8));
          vec4 w[4];
          [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            const uint v = ((low[2u * j + (q & 1u)][t] >> (4u * (q >> 1))) & 0x0F0F0F0Fu) |
                           (((high[j][t] >> (2u * q)) & 0x03030303u) << 4);
            w[t] = vec4(uvec4(v, v >> 8, v >> 16, v >> 24) & 0xFFu);
          }
          [[unroll]] for (uint i = 0u; i < MB; ++i) {
            float dotq = 0.0;
            [[unroll]] for (uint t = 0u; t < 4u; ++t) dotq += dot(x[i * 4u + t], w[t]);
            acc[i * NB + j] += scale * (dotq - 32.0 * xsum[i]);
          }
        }
      }
    }
  }
  store_tile(batch, m0, n0);
}
