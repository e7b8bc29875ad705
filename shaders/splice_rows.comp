#version 450
#extension GL_GOOGLE_include_directive : require
// Rows of media spliced into a token sequence: y[t, :] = ids[t] >= 0 ? x[t, :] : media[-1 - ids[t], :]
// for x f32 [T, D], media f32 [N, D]; media rows outside [0, N) are clamped (callers validate).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint dim; uint rows; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Media { float media[]; };
layout(std430, binding = 2) readonly buffer Ids { int ids[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

float splice(uint e) {
  int id = ids[e / pc.dim];
  if (id >= 0) return x[e];
  uint row = uint(clamp(-1 - id, 0, int(pc.rows) - 1));
  return media[row * pc.dim + e % pc.dim];
}

#define ELEMENT(i) y[i] = splice(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
