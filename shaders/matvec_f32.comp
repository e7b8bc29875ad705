#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Matrix-vector product with f32 weights (see matvec_body.glsl; same contract as matmul_f32).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer B { vec4 b4[]; };

#define DOT8(unit, x0, x1) (dot(x0, b4[2u * (unit)]) + dot(x1, b4[2u * (unit) + 1u]))
#include "matvec_body.glsl"
