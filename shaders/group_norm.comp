#version 450
#extension GL_GOOGLE_include_directive : require
// GroupNorm of x [C, S] (S = spatial positions; an image [C, H, W] is [C, H*W]) with G groups of
// C/G channels: each group's C/G * S values are normalized with their own mean and variance (two
// passes, biased variance as torch), then y = v * weight[c] + bias[c] when present, and with SILU
// y * sigmoid(y). One workgroup per group. f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool CONTIGUOUS = false;
layout(constant_id = 2) const bool HAS_AFFINE = false;
layout(constant_id = 3) const bool SILU = false;  // y * sigmoid(y) after the affine (GroupNorm + SiLU)

layout(push_constant) uniform Push { uint groups; uint group_size; uint spatial; float eps; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float weight[]; };
layout(std430, binding = 2) readonly buffer B { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

#include "row_reduce.glsl"

void main() {
  uint g = facet_group_index();
  if (g >= pc.groups) return;
  uint base = g * pc.group_size, begin, end, stride;  // a group is contiguous in [C, S]
  facet_row_range(pc.group_size, CONTIGUOUS, begin, end, stride);
  float s = 0.0;
  for (uint i = begin; i < end; i += stride) s += x[base + i];
  float mean = facet_workgroup_sum(s) / float(pc.group_size);
  float q = 0.0;
  for (uint i = begin; i < end; i += stride) {
    float d = x[base + i] - mean;
    q += d * d;
  }
  float inv = inversesqrt(facet_workgroup_sum(q) / float(pc.group_size) + pc.eps);
  for (uint i = begin; i < end; i += stride) {
    float v = (x[base + i] - mean) * inv;
    if (HAS_AFFINE) {
      uint c = (base + i) / pc.spatial;
      v = v * weight[c] + bias[c];
    }
    y[base + i] = SILU ? v / (1.0 + exp(-v)) : v;
  }
}
