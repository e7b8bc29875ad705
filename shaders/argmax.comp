#version 450
#extension GL_GOOGLE_include_directive : require
// Row argmax of x [R, C] -> i32 [R]; ties resolve to the smallest index (as torch.argmax does).
// NaN never wins. One workgroup per row, shared-memory reduction of (value, index). f32 in.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool CONTIGUOUS = false;

layout(push_constant) uniform Push { uint rows; uint cols; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { int y[]; };

shared float best_v[gl_WorkGroupSize.x];
shared uint best_i[gl_WorkGroupSize.x];

#include "row_reduce.glsl"

bool better(float v, uint i, float bv, uint bi) { return v > bv || (v == bv && i < bi); }

void main() {
  uint row = facet_group_index();
  if (row >= pc.rows) return;
  uint base = row * pc.cols, begin, end, stride;
  facet_row_range(pc.cols, CONTIGUOUS, begin, end, stride);
  float bv = uintBitsToFloat(0xFF800000u);  // -inf
  uint bi = 0xFFFFFFFFu;
  for (uint i = begin; i < end; i += stride) {
    float v = x[base + i];
    if (!isnan(v) && better(v, i, bv, bi)) { bv = v; bi = i; }
  }
  uint lid = gl_LocalInvocationID.x;
  best_v[lid] = bv;
  best_i[lid] = bi;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1u) {
    if (lid < s && better(best_v[lid + s], best_i[lid + s], best_v[lid], best_i[lid])) {
      best_v[lid] = best_v[lid + s];
      best_i[lid] = best_i[lid + s];
    }
    barrier();
  }
  if (lid == 0u) y[row] = best_i[0] == 0xFFFFFFFFu ? 0 : int(best_i[0]);
}
