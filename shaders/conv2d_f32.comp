#version 450
#extension GL_GOOGLE_include_directive : require
// conv2d for GPUs with f32 weights: x f32 [C, H, W], weight [O, C, KH, KW] -> y f32 [O, OH, OW].
// Shared-memory tiles of TILE x TILE (constant_id 0); workgroup = TILE x TILE invocations. See conv2d_body.glsl.
layout(constant_id = 0) const uint TILE = 16;
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(local_size_x_id = 0, local_size_y_id = 0) in;
#include "facet/common.glsl"

#include "conv2d_io.glsl"
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };

#define LOAD_W(index) w[index]
#include "conv2d_body.glsl"
