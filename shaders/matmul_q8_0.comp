#version 450
#extension GL_GOOGLE_include_directive : require
// matmul with B in q8_0 blocks, dequantized inside the kernel (see matmul_body.glsl).
layout(constant_id = 0) const uint TILE = 16;
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(local_size_x_id = 0, local_size_y_id = 0) in;
#include "facet/common.glsl"

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };

#define FACET_QUANT_BUFFER b
#include "facet/quant.glsl"
#define LOAD_B(index) facet_load_q8_0(index)
#include "matmul_body.glsl"
