#version 450
#extension GL_GOOGLE_include_directive : require
// matmul_rows with B in q4_0 blocks, dequantized inside the kernel (see matmul_rows_body.glsl).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 4;

layout(push_constant) uniform Push { uint M; uint N; uint K; uint a_batch; uint b_batch; uint c_batch; uint residual; } pc;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer C { float c[]; };
layout(std430, binding = 4) readonly buffer Residual { float residual[]; };  // added when pc.residual != 0

#define FACET_QUANT_BUFFER b
#include "facet/quant.glsl"
#define LOAD_B(index) facet_load_q4_0(index)
#include "matmul_rows_body.glsl"
