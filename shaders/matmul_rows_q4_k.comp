#version 450
#extension GL_GOOGLE_include_directive : require
// matmul_rows with B in q4_k blocks, dequantized inside the kernel (see matmul_rows_body.glsl).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };

#define FACET_QUANT_BUFFER b
#include "facet/quant.glsl"
#define LOAD_B(index) facet_load_q4_k(index)
#include "matmul_rows_body.glsl"
