#version 450
#extension GL_GOOGLE_include_directive : require
// Embedding lookup: y[t, d] = table[ids[t], d] for a bf16 table [V, D]; ids outside [0, V) are
// clamped (callers validate them). Output f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint dim; uint rows; } pc;
layout(std430, binding = 0) readonly buffer Table { uint table[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

#define LOAD_TABLE(index) facet_load_bf16(table[(index) >> 1], (index))
float lookup(uint e) {
  uint row = uint(clamp(ids[e / pc.dim], 0, int(pc.rows) - 1));
  return LOAD_TABLE(row * pc.dim + e % pc.dim);
}

#define ELEMENT(i) y[i] = lookup(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
