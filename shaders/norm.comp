#version 450
#extension GL_GOOGLE_include_directive : require
// LayerNorm (MODE 0: (x - mean) / sqrt(var + eps)) or RMSNorm (MODE 1: x / sqrt(mean(x^2) + eps))
// over the last dimension, then * weight and + bias when present. One workgroup per row; mean
// and variance in two passes (as PyTorch computes them). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool CONTIGUOUS = false;
layout(constant_id = 2) const uint MODE = 0;
layout(constant_id = 3) const bool HAS_WEIGHT = false;
layout(constant_id = 4) const bool HAS_BIAS = false;

layout(push_constant) uniform Push { uint rows; uint cols; float eps; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float weight[]; };
layout(std430, binding = 2) readonly buffer B { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

#include "row_reduce.glsl"

void main() {
  uint row = facet_group_index();
  if (row >= pc.rows) return;  // uniform across the workgroup
  uint base = row * pc.cols, begin, end, stride;
  facet_row_range(pc.cols, CONTIGUOUS, begin, end, stride);
  float mean = 0.0;
  if (MODE == 0) {
    float s = 0.0;
    for (uint i = begin; i < end; i += stride) s += x[base + i];
    mean = facet_workgroup_sum(s) / float(pc.cols);
  }
  float q = 0.0;
  for (uint i = begin; i < end; i += stride) {
    float d = x[base + i] - mean;
    q += d * d;
  }
  float inv = inversesqrt(facet_workgroup_sum(q) / float(pc.cols) + pc.eps);
  for (uint i = begin; i < end; i += stride) {
    float v = (x[base + i] - mean) * inv;
    if (HAS_WEIGHT) v *= weight[i];
    if (HAS_BIAS) v += bias[i];
    y[base + i] = v;
  }
}
