#version 450
#extension GL_GOOGLE_include_directive : require
// unary.comp for CPU devices: y = act(x) four elements at a time, x read as texels (n % 4 == 0).
// See elementwise_texel_loop.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#include "facet/activations.glsl"
layout(constant_id = 2) const uint ACT = 0;
layout(push_constant) uniform Push { uint n; uint chunk; } pc;
layout(binding = 8) uniform samplerBuffer x;  // slot 0
layout(std430, binding = 1) writeonly buffer Y { vec4 y[]; };
vec4 act4(vec4 v) {
  return vec4(facet_activation(ACT, v.x), facet_activation(ACT, v.y), facet_activation(ACT, v.z), facet_activation(ACT, v.w));
}
#define ELEMENT4(i) y[i] = act4(texelFetch(x, i))
#include "elementwise_texel_loop.glsl"
void main() { facet_elementwise_texel_main(); }
