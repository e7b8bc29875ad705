#version 450
#extension GL_GOOGLE_include_directive : require
// Batched C[b, m, n] = sum_k A[b, m, k] * B[b', n, k] (+ bias[n]); B laid out [N, K] like a
// PyTorch Linear weight, b' = b or 0 when B is shared by the batch. f32 A, B, C.
// Shared-memory tiles of TILE x TILE (constant_id 0); workgroup = TILE x TILE invocations.
layout(constant_id = 0) const uint TILE = 16;
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(local_size_x_id = 0, local_size_y_id = 0) in;
#include "facet/common.glsl"

#include "matmul_io.glsl"
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };

#define LOAD_B(index) b[index]
#include "matmul_body.glsl"
