#version 450
#extension GL_GOOGLE_include_directive : require
// conv2d for CPU devices with f32 weights (RGBA32F texels of four): x f32 [C, H, W] as RGBA32F texels (W % 4 == 0).
// Same contract as conv2d_f32. See conv2d_texel_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer xt;  // slot 0: x, RGBA32F
#define WEIGHTS_F32
#include "texel_weights.glsl"
#include "conv2d_texel_body.glsl"
