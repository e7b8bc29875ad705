#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] = a[i] * b[i % nb]: same shape, or b broadcast along the leading dimensions. f32.
layout(local_size_x_id = 0) in;  // before common.glsl: its helpers read gl_WorkGroupSize
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint nb; } pc;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

#define ELEMENT(i) y[i] = a[i] * b[(i) % pc.nb]
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
