#version 450
#extension GL_GOOGLE_include_directive : require
// Nearest upsampling of x [C, H, W] by an integer scale: y[c, i, j] = x[c, i / scale, j / scale],
// y [C, H * scale, W * scale] (rows of OW = W * scale). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint w; uint ow; uint scale; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

// Output e = row * OW + j; output row r = c * OH + i reads input row c * H + i / scale = r / scale.
#define ELEMENT(e) y[e] = x[((e) / pc.ow / pc.scale) * pc.w + ((e) % pc.ow) / pc.scale]
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
