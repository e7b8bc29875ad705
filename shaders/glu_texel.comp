#version 450
#extension GL_GOOGLE_include_directive : require
// glu.comp for CPU devices: y = act(gate) * up four elements at a time, gate and up read as
// texels (n % 4 == 0). See elementwise_texel_loop.glsl. SPLIT as glu.comp, in vec4s (half % 4 == 0).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#include "facet/activations.glsl"
layout(constant_id = 2) const uint ACT = 3;
layout(constant_id = 3) const bool SPLIT = false;
layout(push_constant) uniform Push { uint n; uint chunk; uint half_n; uint goff; } pc;
layout(binding = 8) uniform samplerBuffer gate;  // slot 0
layout(binding = 9) uniform samplerBuffer up;    // slot 1
layout(std430, binding = 2) writeonly buffer Y { vec4 y[]; };
vec4 act4(vec4 v) {
  return vec4(facet_activation(ACT, v.x), facet_activation(ACT, v.y), facet_activation(ACT, v.z), facet_activation(ACT, v.w));
}
int split_index(int i, uint off) {
  const uint h4 = pc.half_n / 4u;
  return int((uint(i) / h4) * 2u * h4 + off / 4u + uint(i) % h4);
}
#define ELEMENT4(i)                                                                                                  \
  y[i] = SPLIT ? act4(texelFetch(gate, split_index(i, pc.goff))) * texelFetch(up, split_index(i, pc.half_n - pc.goff)) \
               : act4(texelFetch(gate, i)) * texelFetch(up, i)
#include "elementwise_texel_loop.glsl"
void main() { facet_elementwise_texel_main(); }
