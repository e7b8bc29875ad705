#version 450
#extension GL_GOOGLE_include_directive : require
// matmul for CPU devices with Q4_K weights: x as RGBA32F texels, w as RGBA32UI texels of the raw
// GGUF blocks; K % 256 == 0. Same contract as matmul_q4_k. A Q4_K block (256 weights) is 9 texels:
// texel 0 holds d, dmin and the 12 bytes of packed 6-bit sub-block scales and mins, texels 1..8 the
// quants, 32 bytes per 64 weights (low nibbles: sub-block 2c, high nibbles: 2c + 1). Weight =
// d * scale * q - dmin * min, so a sub-block adds d * scale * sum(x * q) - dmin * min * sum(x).
// Tiles, interleaved rows and the store as matmul_texel_common.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer a;   // slot 0: x, RGBA32F
layout(binding = 9) uniform usamplerBuffer b;  // slot 1: w, RGBA32UI
#include "matmul_texel_common.glsl"

const uint BLOCK_TEXELS = 9u;

// Byte k (a compile-time constant after unrolling) of the 12 scale bytes in a block's first texel.
uint scale_byte(uvec4 h, uint k) { return (h[(k + 4u) >> 2] >> (8u * ((k + 4u) & 3u))) & 0xFFu; }
// Scale and min of sub-block j (0..7), as GGUF packs them.
void scale_min(uvec4 h, uint j, out float sc, out float mn) {
  if (j < 4u) {
    sc = float(scale_byte(h, j) & 63u);
    mn = float(scale_byte(h, j + 4u) & 63u);
  } else {
    sc = float((scale_byte(h, j + 4u) & 0xFu) | ((scale_byte(h, j - 4u) >> 6) << 4));
    mn = float((scale_byte(h, j + 4u) >> 4) | ((scale_byte(h, j) >> 6) << 4));
  }
}

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
    uvec4 head[NB];
    [[unroll]] for (uint j = 0u; j < NB; ++j) head[j] = texelFetch(b, rows[j] + s * int(BLOCK_TEXELS * G));
    [[unroll]] for (uint c = 0u; c < 4u; ++c) {
      uvec4 quant[NB * 2u];
      [[unroll]] for (uint j = 0u; j < NB; ++j) {
        const int base = rows[j] + (s * int(BLOCK_TEXELS) + 1 + 2 * int(c)) * int(G);
        quant[2u * j] = texelFetch(b, base);
        quant[2u * j + 1u] = texelFetch(b, base + int(G));
      }
      [[unroll]] for (uint h = 0u; h < 2u; ++h) {  // sub-block 2c + h: low, then high nibbles
        vec4 x[MB * 8u];
        float xsum[MB];
        [[unroll]] for (uint i = 0u; i < MB; ++i) {
          xsum[i] = 0.0;
          [[unroll]] for (uint t = 0u; t < 8u; ++t) {
            x[i * 8u + t] = texelFetch(a, arows[i] + s * 64 + int(c * 16u + h * 8u + t));
            xsum[i] += dot(x[i * 8u + t], vec4(1.0));
          }
        }
        [[unroll]] for (uint j = 0u; j < NB; ++j) {
          float sc, mn;
          scale_min(head[j], 2u * c + h, sc, mn);
          const vec2 dm = unpackHalf2x16(head[j].x);
          vec4 q[8];
          [[unroll]] for (uint t = 0u; t < 8u; ++t) {
            const uint w = quant[2u * j + t / 4u][t % 4u] >> (4u * h);
            q[t] = vec4(uvec4(w, w >> 8, w >> 16, w >> 24) & 0xFu);
          }
          [[unroll]] for (uint i = 0u; i < MB; ++i) {
            float dotq = 0.0;
            [[unroll]] for (uint t = 0u; t < 8u; ++t) dotq += dot(x[i * 8u + t], q[t]);
            acc[i * NB + j] += (dm.x * sc) * dotq - (dm.y * mn) * xsum[i];
          }
        }
      }
    }
  }
  store_tile(batch, m0, n0);
}
