#version 450
#extension GL_GOOGLE_include_directive : require
// matmul for CPU devices with Q4_1 weights: x as RGBA32F texels, w a constant as RGBA32UI texels in
// split runs of 8 blocks (texel_runs.glsl); K % 256 == 0. Same contract as matmul_q4_1. See
// matmul_texel_runs_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer a;  // slot 0: x, RGBA32F
#define WEIGHTS_Q4_1
#include "texel_runs.glsl"
#include "matmul_texel_runs_body.glsl"
