#version 450
#extension GL_GOOGLE_include_directive : require
// Gated linear unit: y[i] = act(gate[i]) * up[i] (SwiGLU with SiLU, GeGLU with GELU). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#include "facet/activations.glsl"
layout(constant_id = 2) const uint ACT = 3;

layout(push_constant) uniform Push { uint n; uint chunk; } pc;
layout(std430, binding = 0) readonly buffer G { float gate[]; };
layout(std430, binding = 1) readonly buffer U { float up[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

#define ELEMENT(i) y[i] = facet_activation(ACT, gate[i]) * up[i]
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
