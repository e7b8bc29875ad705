#version 450
#extension GL_GOOGLE_include_directive : require
// out[i] = value for every element. f32.
layout(local_size_x_id = 0) in;  // before common.glsl: its helpers read gl_WorkGroupSize
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; float value; } pc;
layout(std430, binding = 0) writeonly buffer Out { float y[]; };

#define ELEMENT(i) y[i] = pc.value
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
