#version 450
#extension GL_GOOGLE_include_directive : require
// Attention for CPU devices over all keys (not causal, no positions, no window: encoders and the
// diffusion UNet's self- and cross-attention), QB queries of one head per invocation. Keys and
// values are fetched as texels (as attention_texel.comp) once for the QB queries, each with its
// own online-softmax state: at 4096 keys of 8 heads the keys and values (10 MB) no longer fit in
// the caches, and one query per invocation streamed them once per query. No score matrix exists.
// Same contract as attention_texel (D, Dv multiples of 4).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 2) const uint DMAX = 128;
layout(constant_id = 4) const uint QB = 4;  // queries per invocation

layout(push_constant) uniform Push { uint tq; uint tk; uint hq; uint hkv; uint d; uint dv; float scale; uint window; uint segment; } pc;
layout(std430, binding = 0) readonly buffer Q { vec4 q[]; };
layout(binding = 9) uniform samplerBuffer k;   // slot 1
layout(binding = 10) uniform samplerBuffer v;  // slot 2
layout(std430, binding = 3) writeonly buffer Y { vec4 y[]; };

const uint D4 = DMAX / 4u;

void main() {
  const uint task = facet_invocation_index(), blocks = (pc.tq + QB - 1u) / QB;
  if (task >= blocks * pc.hq) return;
  // Neighbouring invocations take the heads of one block of queries: their keys are neighbours.
  const uint h = task % pc.hq, i0 = (task / pc.hq) * QB, hk = h / (pc.hq / pc.hkv);
  const uint d4 = pc.d / 4u, dv4 = pc.dv / 4u;
  vec4 qv[QB * D4], acc[QB * D4];
  float m[QB], l[QB];
  [[unroll]] for (uint b = 0u; b < QB; ++b) {
    const uint i = min(i0 + b, pc.tq - 1u);  // queries past the end repeat the last (not stored)
    for (uint c = 0u; c < d4; ++c) qv[b * D4 + c] = q[(i * pc.hq + h) * d4 + c] * pc.scale;
    for (uint c = 0u; c < dv4; ++c) acc[b * D4 + c] = vec4(0.0);
    m[b] = -3.402823466e38;
    l[b] = 0.0;
  }
  for (uint j = 0u; j < pc.tk; ++j) {
    const int kb = int((j * pc.hkv + hk) * d4), vb = int((j * pc.hkv + hk) * dv4);
    float s[QB];
    [[unroll]] for (uint b = 0u; b < QB; ++b) s[b] = 0.0;
    for (uint c = 0u; c < d4; ++c) {
      const vec4 kt = texelFetch(k, kb + int(c));
      [[unroll]] for (uint b = 0u; b < QB; ++b) s[b] += dot(qv[b * D4 + c], kt);
    }
    float p[QB];
    [[unroll]] for (uint b = 0u; b < QB; ++b) {
      if (s[b] > m[b]) {
        const float corr = exp(m[b] - s[b]);
        l[b] *= corr;
        for (uint c = 0u; c < dv4; ++c) acc[b * D4 + c] *= corr;
        m[b] = s[b];
      }
      p[b] = exp(s[b] - m[b]);
      l[b] += p[b];
    }
    for (uint c = 0u; c < dv4; ++c) {
      const vec4 vt = texelFetch(v, vb + int(c));
      [[unroll]] for (uint b = 0u; b < QB; ++b) acc[b * D4 + c] += p[b] * vt;
    }
  }
  [[unroll]] for (uint b = 0u; b < QB; ++b) {
    const uint i = i0 + b;
    if (i >= pc.tq) break;
    const float inv = 1.0 / l[b];
    for (uint c = 0u; c < dv4; ++c) y[(i * pc.hq + h) * dv4 + c] = acc[b * D4 + c] * inv;
  }
}
