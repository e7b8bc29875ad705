#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix-vector product (few rows of x) for CPU devices with Q4_1 weights: x as RGBA32F texels, w as
// RGBA32UI texels of the raw blocks; K % 256 == 0. See matvec_texel_blocks_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer a;  // slot 0: x, RGBA32F
#define WEIGHTS_Q4_1
#include "texel_blocks.glsl"
#include "matvec_texel_blocks_body.glsl"
