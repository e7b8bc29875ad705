#version 450
#extension GL_GOOGLE_include_directive : require
// Strided copy of up to 4 dimensions into a contiguous output (makes views contiguous). f32.
layout(local_size_x_id = 0) in;  // before common.glsl: its helpers read gl_WorkGroupSize
#include "facet/common.glsl"

layout(push_constant) uniform Push {
  uint n; uint chunk;
  uint offset;       // element offset of the source view
  uint d1, d2, d3;   // output dims 1..3 (dim 0 is implied by n)
  uint s0, s1, s2, s3; // source element strides
} pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

uint source_index(uint i) {
  uint i3 = i % pc.d3; i /= pc.d3;
  uint i2 = i % pc.d2; i /= pc.d2;
  uint i1 = i % pc.d1; uint i0 = i / pc.d1;
  return pc.offset + i0 * pc.s0 + i1 * pc.s1 + i2 * pc.s2 + i3 * pc.s3;
}

#define ELEMENT(i) y[i] = x[source_index(i)]
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
