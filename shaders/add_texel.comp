#version 450
#extension GL_GOOGLE_include_directive : require
// add.comp for CPU devices: y[i] = a[i] + b[i % nb] four elements at a time, a and b read as
// texels (n % 4 == 0, nb % 4 == 0). See elementwise_texel_loop.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(push_constant) uniform Push { uint n; uint chunk; uint nb; } pc;
layout(binding = 8) uniform samplerBuffer a;  // slot 0
layout(binding = 9) uniform samplerBuffer b;  // slot 1
layout(std430, binding = 2) writeonly buffer Y { vec4 y[]; };
#define ELEMENT4(i) y[i] = texelFetch(a, i) + texelFetch(b, (i) % int(pc.nb / 4u))
#include "elementwise_texel_loop.glsl"
void main() { facet_elementwise_texel_main(); }
