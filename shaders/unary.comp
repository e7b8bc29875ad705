#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] = act(x[i]); the activation is specialization constant 2 (see facet/activations.glsl). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#include "facet/activations.glsl"
layout(constant_id = 2) const uint ACT = 0;

layout(push_constant) uniform Push { uint n; uint chunk; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

#define ELEMENT(i) y[i] = facet_activation(ACT, x[i])
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
