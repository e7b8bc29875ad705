// Block decoding for the texel-buffer matmul kernels of Q8_0, Q4_0 and Q4_1 weights on CPU devices
// (matmul_texel_runs_body.glsl). Such a weight is a constant uploaded in split runs of 8 blocks
// (core/graph/interleave.hpp): per 256 weights, HEAD_TEXELS texels of the 8 blocks' heads (f16 d,
// and m for Q4_1), then the 8 blocks' quants on whole texels. Define one WEIGHTS_<Q8_0|Q4_0|Q4_1>
// before including; this declares sampler b (binding 9, slot 1: RGBA32UI texels), the run's
// shape, and
//   block_scale(head, blk, d, m)   scale and offset of block blk (0..7) of the run: w = d * q + m
//   weights8(qt, h, d, m, w0, w1)  the 8 dequantized weights of part h (0..PARTS-1) of quant texel qt
// A quant texel holds 16 (Q8_0) or 32 (Q4_0, Q4_1) weights; part h is weights 8h .. 8h+7 of it.
// Arithmetic as core/graph/quant.hpp: Q8_0 d * q, Q4_0 d * (q - 8), Q4_1 d * q + m.
layout(binding = 9) uniform usamplerBuffer b;
#if defined(WEIGHTS_Q8_0)
const uint HEAD_TEXELS = 1u, BLOCK_TEXELS = 2u;
#elif defined(WEIGHTS_Q4_0) || defined(WEIGHTS_Q4_1)
#if defined(WEIGHTS_Q4_1)
const uint HEAD_TEXELS = 2u;
#else
const uint HEAD_TEXELS = 1u;
#endif
const uint BLOCK_TEXELS = 1u;
#else
#error "define WEIGHTS_Q8_0, WEIGHTS_Q4_0 or WEIGHTS_Q4_1 before including texel_runs.glsl"
#endif
const uint QUANT_TEXELS = 8u * BLOCK_TEXELS;          // per run
const uint RUN_TEXELS = HEAD_TEXELS + QUANT_TEXELS;   // per 256 weights
const uint PARTS = 32u / BLOCK_TEXELS / 8u;            // 8-weight parts per quant texel

struct Head {
  uvec4 t[HEAD_TEXELS];
};

void block_scale(Head head, uint blk, out float d, out float m) {
#if defined(WEIGHTS_Q4_1)
  vec2 dm = unpackHalf2x16(head.t[blk >> 2][blk & 3u]);
  d = dm.x;
  m = dm.y;
#else
  d = unpackHalf2x16(head.t[0][blk >> 1] >> ((blk & 1u) * 16u)).x;
  m = 0.0;
#endif
}

void weights8(uvec4 qt, uint h, float d, float m, out vec4 w0, out vec4 w1) {
#if defined(WEIGHTS_Q8_0)
  const uint a = qt[2u * h], c = qt[2u * h + 1u];
  w0 = vec4(ivec4(a << 24, a << 16, a << 8, a) >> 24) * d;
  w1 = vec4(ivec4(c << 24, c << 16, c << 8, c) >> 24) * d;
#else
  // Byte k of the texel: low nibble weight k, high nibble weight k + 16.
  const uint shift = h >= 2u ? 4u : 0u, a = qt[2u * (h & 1u)] >> shift, c = qt[2u * (h & 1u) + 1u] >> shift;
#if defined(WEIGHTS_Q4_1)
  const float bias = 0.0;
#else
  const float bias = -8.0;
#endif
  w0 = (vec4(uvec4(a, a >> 8, a >> 16, a >> 24) & 0xFu) + bias) * d + m;
  w1 = (vec4(uvec4(c, c >> 8, c >> 16, c >> 24) & 0xFu) + bias) * d + m;
#endif
}
