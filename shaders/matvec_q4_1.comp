#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Matrix-vector product with q4_1 weights, block by block (see matvec_blocks_body.glsl).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };

uint word_at(uint byte_offset);
float dot_block(uint blk, vec4 x[8]) {
  uint base = blk * 20u;
  vec2 dm = unpackHalf2x16(word_at(base));  // d, m
  float s = 0.0, sx = 0.0;
  [[unroll]] for (uint t = 0u; t < 4u; ++t) {
    uint w = word_at(base + 4u + 4u * t);
    vec4 lo = vec4(w & 15u, (w >> 8) & 15u, (w >> 16) & 15u, (w >> 24) & 15u);
    vec4 hi = vec4((w >> 4) & 15u, (w >> 12) & 15u, (w >> 20) & 15u, w >> 28);
    s += dot(lo, x[t]) + dot(hi, x[4u + t]);
    sx += dot(x[t], vec4(1.0)) + dot(x[4u + t], vec4(1.0));
  }
  return dm.x * s + dm.y * sx;
}
#define DOT_BLOCK(blk, x) dot_block(blk, x)
#include "matvec_blocks_body.glsl"
