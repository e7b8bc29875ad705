#version 450
#extension GL_GOOGLE_include_directive : require
// Concatenation of a and b along one dimension. Shapes are viewed as [outer, n, inner] with n
// the concatenated dimension (na for a, nb for b). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint na; uint nb; uint inner; } pc;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

float pick(uint e) {
  uint inner = e % pc.inner, rest = e / pc.inner;
  uint total = pc.na + pc.nb;
  uint j = rest % total, outer = rest / total;
  return j < pc.na ? a[(outer * pc.na + j) * pc.inner + inner] : b[(outer * pc.nb + (j - pc.na)) * pc.inner + inner];
}

#define ELEMENT(i) y[i] = pick(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
