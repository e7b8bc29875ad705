#version 450
#extension GL_GOOGLE_include_directive : require
// Gated linear unit: y[i] = act(gate[i]) * up[i] (SwiGLU with SiLU, GeGLU with GELU). f32.
// SPLIT: one input x [.., 2 * half] bound at both slots, y [.., half]: up and gate are the two
// halves of each row, the gate at offset goff (0 or half; diffusers' GEGLU: the second).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#include "facet/activations.glsl"
layout(constant_id = 2) const uint ACT = 3;
layout(constant_id = 3) const bool SPLIT = false;

layout(push_constant) uniform Push { uint n; uint chunk; uint half_n; uint goff; } pc;
layout(std430, binding = 0) readonly buffer G { float gate[]; };
layout(std430, binding = 1) readonly buffer U { float up[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

uint split_index(uint i, uint off) { return (i / pc.half_n) * 2u * pc.half_n + off + i % pc.half_n; }
#define ELEMENT(i)                                                                                           \
  y[i] = SPLIT ? facet_activation(ACT, gate[split_index(i, pc.goff)]) * up[split_index(i, pc.half_n - pc.goff)] \
               : facet_activation(ACT, gate[i]) * up[i]
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
