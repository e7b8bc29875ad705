#version 450
#extension GL_GOOGLE_include_directive : require
// Scatter rows into a state: dst[rows[t], :] = src[t, :] for src f32 [T, R] and dst f32 [N, R]
// (R = the product of the trailing dims). Rows outside [0, N) are skipped. Only the written rows
// are touched; dst is bound as the output (the op writes in place).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint row; uint rows; } pc;
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) readonly buffer Rows { int rows[]; };
layout(std430, binding = 2) writeonly buffer Dst { float dst[]; };

void scatter(uint e) {
  int r = rows[e / pc.row];
  if (r >= 0 && uint(r) < pc.rows) dst[uint(r) * pc.row + e % pc.row] = src[e];
}

#define ELEMENT(i) scatter(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
