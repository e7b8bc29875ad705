#version 450
#extension GL_GOOGLE_include_directive : require
// As matmul_f32, with B stored as bf16 (read as packed pairs: no 16-bit storage needed).
layout(constant_id = 0) const uint TILE = 16;
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(local_size_x_id = 0, local_size_y_id = 0) in;
#include "facet/common.glsl"

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };

#define LOAD_B(index) facet_load_bf16(b[(index) >> 1], (index))
#include "matmul_body.glsl"
