#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
// norm.comp for CPU devices: x, weight and bias read as RGBA32F texel buffers (vectorized fetches,
// docs/benchmarks.md), y written as vec4s; cols % 4 == 0. One subgroup per row, its lanes taking
// interleaved texels and summing with subgroupAdd: no shared memory, no barriers. Same two passes
// for the mean and the variance as norm.comp. Absent weight and bias are bound (unread) to x.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 2) const uint MODE = 0;  // 0: LayerNorm, 1: RMSNorm
layout(constant_id = 3) const bool HAS_WEIGHT = false;
layout(constant_id = 4) const bool HAS_BIAS = false;

layout(push_constant) uniform Push { uint rows; uint cols; float eps; } pc;
layout(binding = 8) uniform samplerBuffer x;        // slot 0
layout(binding = 9) uniform samplerBuffer weight;   // slot 1
layout(binding = 10) uniform samplerBuffer bias;    // slot 2
layout(std430, binding = 3) writeonly buffer Y { vec4 y[]; };

void main() {
  uint row = facet_group_index() * (gl_WorkGroupSize.x / gl_SubgroupSize) + gl_SubgroupID;
  if (row >= pc.rows) return;  // uniform within the subgroup
  int n4 = int(pc.cols / 4u), base = int(row) * n4, lane = int(gl_SubgroupInvocationID), lanes = int(gl_SubgroupSize);
  float mean = 0.0;
  if (MODE == 0u) {
    float s = 0.0;
    for (int i = lane; i < n4; i += lanes) s += dot(texelFetch(x, base + i), vec4(1.0));
    mean = subgroupAdd(s) / float(pc.cols);
  }
  float q = 0.0;
  for (int i = lane; i < n4; i += lanes) {
    vec4 d = texelFetch(x, base + i) - mean;
    q += dot(d, d);
  }
  float inv = inversesqrt(subgroupAdd(q) / float(pc.cols) + pc.eps);
  for (int i = lane; i < n4; i += lanes) {
    vec4 v = (texelFetch(x, base + i) - mean) * inv;
    if (HAS_WEIGHT) v *= texelFetch(weight, i);
    if (HAS_BIAS) v += texelFetch(bias, i);
    y[base + i] = v;
  }
}
