// Block decoding for the texel-buffer matmul kernels (matmul_texel_blocks_body.glsl). Define one
// WEIGHTS_<Q8_0|Q4_0|Q4_1> before including; this declares sampler b (binding 9, slot 1: RGBA32UI
// texels of the raw GGUF blocks), BLOCK_BYTES, NEEDS_XSUM, the 12-word window `window` (three
// texels holding one block) and
//   unpack_block(o, q, d, mn)  the 32 quants of the block at byte offset o of the window (even), as
//                              floats in q[8], and its scale d and offset mn: weight = d * q + mn.
// Arithmetic as core/graph/quant.hpp: Q8_0 d * q, Q4_0 d * (q - 8), Q4_1 d * q + m.
layout(binding = 9) uniform usamplerBuffer b;
#if defined(WEIGHTS_Q8_0)
const uint BLOCK_BYTES = 34u;
const bool NEEDS_XSUM = false;
#elif defined(WEIGHTS_Q4_0)
const uint BLOCK_BYTES = 18u;
const bool NEEDS_XSUM = false;
#elif defined(WEIGHTS_Q4_1)
const uint BLOCK_BYTES = 20u;
const bool NEEDS_XSUM = true;
#else
#error "define WEIGHTS_Q8_0, WEIGHTS_Q4_0 or WEIGHTS_Q4_1 before including texel_blocks.glsl"
#endif

uint window[12];

// The 32-bit word at an even byte offset of the window.
uint word_at(uint o) {
  return (o & 3u) == 0u ? window[o >> 2] : (window[o >> 2] >> 16) | (window[(o >> 2) + 1u] << 16);
}
float half_at(uint o) { return unpackHalf2x16((o & 3u) == 0u ? window[o >> 2] : window[o >> 2] >> 16).x; }
vec4 low_nibbles(uint q) { return vec4(uvec4(q, q >> 8, q >> 16, q >> 24) & 0xFu); }
vec4 high_nibbles(uint q) { return vec4(uvec4(q >> 4, q >> 12, q >> 20, q >> 28) & 0xFu); }

void unpack_block(uint o, out vec4 q[8], out float d, out float mn) {
  d = half_at(o);
  mn = 0.0;
#if defined(WEIGHTS_Q8_0)
  [[unroll]] for (uint k = 0u; k < 8u; ++k) {
    uint w = word_at(o + 2u + 4u * k);
    q[k] = vec4(ivec4(w << 24, w << 16, w << 8, w) >> 24);
  }
#else
#if defined(WEIGHTS_Q4_1)
  mn = half_at(o + 2u);
  const uint first = o + 4u;
  const float bias = 0.0;
#else
  const uint first = o + 2u;
  const float bias = 8.0;
#endif
  [[unroll]] for (uint k = 0u; k < 4u; ++k) {
    uint w = word_at(first + 4u * k);
    q[k] = low_nibbles(w) - bias;
    q[k + 4u] = high_nibbles(w) - bias;
  }
#endif
}
