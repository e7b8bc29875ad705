// Body of the attention kernels for CPU devices (attention_texel.comp, attention_split_texel.comp):
// keys and values fetched as uniform texel buffers (vec4 texels, RGBA32F or RGBA16F for a f16
// cache), which CPU drivers gather with vector code, where a storage-buffer load is a per-lane
// scalar loop. Same contract as attention_body.glsl (causal, positions, window, grouped-query
// heads) with D and Dv multiples of 4, online softmax over the visible keys.
// Without SPLIT_KEYS: one invocation per (query, head). With SPLIT_KEYS (few queries: decode):
// one subgroup per (query, head), lane l taking keys first + l, first + l + S, ... (S the subgroup
// size) with a softmax state of its own, the states combined with subgroup operations at the end.
// The includer declares the workgroup size (local_size_x_id = 0) and includes facet/common.glsl.
layout(constant_id = 1) const bool CAUSAL = false;
layout(constant_id = 2) const uint DMAX = 128;
layout(constant_id = 3) const bool POSITIONS = false;

layout(push_constant) uniform Push { uint tq; uint tk; uint hq; uint hkv; uint d; uint dv; float scale; uint window; uint segment; } pc;
layout(std430, binding = 0) readonly buffer Q { vec4 q[]; };
layout(binding = 9) uniform samplerBuffer k;    // slot 1
layout(binding = 10) uniform samplerBuffer v;   // slot 2
layout(std430, binding = 3) writeonly buffer Y { vec4 y[]; };
layout(std430, binding = 4) readonly buffer P { int pos[]; };

void main() {
#ifdef SPLIT_KEYS
  const uint task = facet_group_index() * (gl_WorkGroupSize.x / gl_SubgroupSize) + gl_SubgroupID;
  const uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
#else
  const uint task = facet_invocation_index();
  const uint lane = 0u, lanes = 1u;
#endif
  if (task >= pc.tq * pc.hq) return;  // uniform within a subgroup when it splits the keys
  uint i = task / pc.hq, h = task % pc.hq, hk = h / (pc.hq / pc.hkv);
  uint d4 = pc.d / 4u, dv4 = pc.dv / 4u;
  uint y_base = (i * pc.hq + h) * dv4;
  uint last = CAUSAL ? min(pc.tk - pc.tq + i, pc.tk - 1u) : pc.tk - 1u;
  if (POSITIONS) {
    int p = pos[i];
    if (p < 0) {
      if (lane == 0u)
        for (uint c = 0u; c < dv4; ++c) y[y_base + c] = vec4(0.0);
      return;
    }
    last = min(uint(p), pc.tk - 1u);
  }
  uint first = (pc.window > 0u && (CAUSAL || POSITIONS) && last + 1u > pc.window) ? last + 1u - pc.window : 0u;
  // segment > 0 (with positions): the cache holds sequences of `segment` rows each; a query sees
  // only the rows of its own sequence (several sequences decoded in one batch).
  if (POSITIONS && pc.segment > 0u) first = max(first, last - last % pc.segment);
  vec4 qv[DMAX / 4u];
  for (uint c = 0u; c < d4; ++c) qv[c] = q[(i * pc.hq + h) * d4 + c] * pc.scale;
  vec4 acc[DMAX / 4u];
  for (uint c = 0u; c < dv4; ++c) acc[c] = vec4(0.0);
  float m = -3.402823466e38, l = 0.0;
  for (uint j = first + lane; j <= last; j += lanes) {
    int kb = int((j * pc.hkv + hk) * d4), vb = int((j * pc.hkv + hk) * dv4);
    float s = 0.0;
    for (uint c = 0u; c < d4; ++c) s += dot(qv[c], texelFetch(k, kb + int(c)));
    if (s > m) {
      float corr = exp(m - s);
      l *= corr;
      for (uint c = 0u; c < dv4; ++c) acc[c] *= corr;
      m = s;
    }
    float p = exp(s - m);
    l += p;
    for (uint c = 0u; c < dv4; ++c) acc[c] += p * texelFetch(v, vb + int(c));
  }
#ifdef SPLIT_KEYS
  // Combine the lanes' softmax states: rescale each to the largest maximum, then sum (a lane
  // without keys has m = -FLT_MAX, so its share is exp(-huge) = 0).
  const float top = subgroupMax(m), share = exp(m - top);
  l = subgroupAdd(l * share);
  for (uint c = 0u; c < dv4; ++c) acc[c] = subgroupAdd(acc[c] * share);
  if (lane != 0u) return;
#endif
  float inv = 1.0 / l;
  for (uint c = 0u; c < dv4; ++c) y[y_base + c] = acc[c] * inv;
}
