#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix-vector product (few rows of x) for CPU devices with f16 weights: x as RGBA32F texels,
// w as RGBA32UI texels of eight packed f16 weights; K % 8 == 0. See matvec_texel_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer a;  // slot 0: x, RGBA32F
#define WEIGHTS_F16
#include "texel_weights.glsl"
#include "matvec_texel_body.glsl"
