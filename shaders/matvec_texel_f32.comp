#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix-vector product (few rows of x) for CPU devices with f32 weights: x as RGBA32F texels,
// w as RGBA32F texels of four weights; K % 4 == 0. See matvec_texel_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer a;  // slot 0: x, RGBA32F
#define WEIGHTS_F32
#include "texel_weights.glsl"
#include "matvec_texel_body.glsl"
