#version 450
#extension GL_GOOGLE_include_directive : require
// Pixel-shuffle token merge: tokens on a g x g grid, each f x f neighbourhood concatenated into
// one token. y[(oy * go + ox), (dy * f + dx) * dim + c] = x[((oy * f + dy) * g + ox * f + dx), c].
// One invocation per output element; the grid strides when there are more elements than threads.
layout(local_size_x_id = 0) in;  // declared before common.glsl, whose helpers read the size
#include "facet/common.glsl"

layout(push_constant) uniform Push {
  uint grid;    // g: input tokens per side
  uint factor;  // f
  uint dim;     // channels per input token
  uint total;   // output elements
} pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

void main() {
  uint out_dim = pc.dim * pc.factor * pc.factor;
  uint out_grid = pc.grid / pc.factor;
  for (uint i = facet_invocation_index(); i < pc.total; i += facet_invocation_count()) {
    uint token = i / out_dim, j = i % out_dim;
    uint oy = token / out_grid, ox = token % out_grid;
    uint cell = j / pc.dim, c = j % pc.dim;
    uint dy = cell / pc.factor, dx = cell % pc.factor;
    y[i] = x[((oy * pc.factor + dy) * pc.grid + ox * pc.factor + dx) * pc.dim + c];
  }
}
