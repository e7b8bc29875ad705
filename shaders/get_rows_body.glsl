// Body shared by the get_rows dtype variants: expects pc, binding 0 (the table) and LOAD_TABLE.
// The table may be rows [base, base + rows) of a larger one of `total` rows (an embedding split
// for maxStorageBufferRange, graph/split.hpp): ids are clamped to [0, total), and an id whose row
// lies outside this part reads as 0.
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

float lookup(uint e) {
  int row = clamp(ids[e / pc.dim], 0, int(pc.total) - 1) - int(pc.base);
  if (row < 0 || row >= int(pc.rows)) return 0.0;
  return LOAD_TABLE(uint(row) * pc.dim + e % pc.dim);
}

#define ELEMENT(i) y[i] = lookup(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
