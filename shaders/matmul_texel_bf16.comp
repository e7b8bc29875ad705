#version 450
#extension GL_GOOGLE_include_directive : require
// matmul for CPU devices with bf16 weights: x as RGBA32F texels, w as RGBA32UI texels of eight packed bf16 weights.
// K % 8 == 0. Same contract as matmul_bf16. See matmul_texel_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(binding = 8) uniform samplerBuffer a;  // slot 0: x, RGBA32F
#define WEIGHTS_BF16
#include "texel_weights.glsl"
#include "matmul_texel_body.glsl"
