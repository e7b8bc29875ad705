#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Matrix-vector product with q8_0 weights, block by block (see matvec_blocks_body.glsl).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };

uint word_at(uint byte_offset);
float dot_block(uint blk, vec4 x[8]) {
  uint base = blk * 34u;
  float d = unpackHalf2x16(word_at(base) & 0xFFFFu).x;
  float s = 0.0;
  [[unroll]] for (uint t = 0u; t < 8u; ++t) {
    uint w = word_at(base + 2u + 4u * t);
    vec4 q = vec4(ivec4(int(w << 24) >> 24, int(w << 16) >> 24, int(w << 8) >> 24, int(w) >> 24));
    s += dot(q, x[t]);
  }
  return d * s;
}
#define DOT_BLOCK(blk, x) dot_block(blk, x)
#include "matvec_blocks_body.glsl"
