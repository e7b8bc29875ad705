#version 450
#extension GL_GOOGLE_include_directive : require
// Row softmax over the last dimension of (x * scale). One workgroup per row; max-subtracted. f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool CONTIGUOUS = false;

layout(push_constant) uniform Push { uint rows; uint cols; float scale; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

#include "row_reduce.glsl"

void main() {
  uint row = facet_group_index();
  if (row >= pc.rows) return;
  uint base = row * pc.cols, begin, end, stride;
  facet_row_range(pc.cols, CONTIGUOUS, begin, end, stride);
  float m = -3.402823466e38;
  for (uint i = begin; i < end; i += stride) m = max(m, x[base + i] * pc.scale);
  m = facet_workgroup_max(m);
  float s = 0.0;
  for (uint i = begin; i < end; i += stride) s += exp(x[base + i] * pc.scale - m);
  float inv = 1.0 / facet_workgroup_sum(s);
  for (uint i = begin; i < end; i += stride) y[base + i] = exp(x[base + i] * pc.scale - m) * inv;
}
