#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
// group_norm.comp for CPU devices: x read as RGBA32F texels, y written as vec4s (S % 4 == 0, so a
// texel never straddles two channels). One subgroup per group, its lanes taking adjacent texels
// of the group's channels and summing with subgroupAdd: no shared memory, no barriers. Same two
// passes (mean, then the biased variance of the deviations) as group_norm.comp, then the affine
// parameters of each channel and, with SILU, y * sigmoid(y).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#include "facet/activations.glsl"
layout(constant_id = 2) const bool HAS_AFFINE = false;
layout(constant_id = 3) const bool SILU = false;

layout(push_constant) uniform Push { uint groups; uint group_size; uint spatial; float eps; } pc;
layout(binding = 8) uniform samplerBuffer x;  // slot 0
layout(std430, binding = 1) readonly buffer W { float weight[]; };
layout(std430, binding = 2) readonly buffer B { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { vec4 y[]; };

void main() {
  const uint g = facet_group_index() * (gl_WorkGroupSize.x / gl_SubgroupSize) + gl_SubgroupID;
  if (g >= pc.groups) return;  // uniform within the subgroup
  const int n4 = int(pc.group_size / 4u), base = int(g) * n4, lane = int(gl_SubgroupInvocationID), lanes = int(gl_SubgroupSize);
  float s = 0.0;
  for (int i = lane; i < n4; i += lanes) s += dot(texelFetch(x, base + i), vec4(1.0));
  const float mean = subgroupAdd(s) / float(pc.group_size);
  float q = 0.0;
  for (int i = lane; i < n4; i += lanes) {
    vec4 d = texelFetch(x, base + i) - mean;
    q += dot(d, d);
  }
  const float inv = inversesqrt(subgroupAdd(q) / float(pc.group_size) + pc.eps);
  // Channel by channel, so each channel's weight and bias are read once.
  const uint s4 = pc.spatial / 4u, channels = pc.group_size / pc.spatial;
  for (uint ch = 0u; ch < channels; ++ch) {
    const uint c = g * channels + ch;
    const float scale = HAS_AFFINE ? inv * weight[c] : inv, shift = HAS_AFFINE ? bias[c] : 0.0;
    const int first = base + int(ch * s4);
    for (int i = lane; i < int(s4); i += lanes) {
      vec4 v = (texelFetch(x, first + i) - mean) * scale + shift;
      if (SILU) v = v / (1.0 + exp(-v));
      y[first + i] = v;
    }
  }
}
