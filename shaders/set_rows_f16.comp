#version 450
#extension GL_GOOGLE_include_directive : require
// set_rows into a f16 state (a f16 KV cache): dst[rows[t], :] = f16(src[t, :]) for src f32 [T, R]
// and dst f16 [N, R], R even. One invocation writes one packed pair, so no two invocations share
// a 32-bit word. Rows outside [0, N) are skipped.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint row; uint rows; } pc;  // n: pairs; row: pairs per row
layout(std430, binding = 0) readonly buffer Src { vec2 src[]; };
layout(std430, binding = 1) readonly buffer Rows { int rows[]; };
layout(std430, binding = 2) writeonly buffer Dst { uint dst[]; };

void scatter(uint e) {
  int r = rows[e / pc.row];
  if (r >= 0 && uint(r) < pc.rows) dst[uint(r) * pc.row + e % pc.row] = packHalf2x16(src[e]);
}

#define ELEMENT(i) scatter(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
