#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Matrix-vector product with f16 weights (see matvec_body.glsl; same contract as matmul_f16).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer B { uvec4 b4[]; };

float dot8(uvec4 q, vec4 x0, vec4 x1) {
  return dot(x0, vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y))) + dot(x1, vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w)));
}
#define DOT8(unit, x0, x1) dot8(b4[unit], x0, x1)
#include "matvec_body.glsl"
