// Fused scaled-dot-product attention with online softmax (no score matrix is materialized).
// q [Tq, Hq, D], k [Tk, Hkv, D], v [Tk, Hkv, Dv] -> y [Tq, Hq, Dv]; query head h reads kv head
// h / (Hq / Hkv) (grouped-query attention). CAUSAL: query i sits at position Tk - Tq + i and sees
// keys 0 .. Tk - Tq + i (a KV cache holding earlier positions, or plain causal self-attention when
// Tq = Tk). Without CAUSAL every query sees every key (encoders, cross-attention). One invocation
// per (query, head); D and Dv at most DMAX (specialization constant 2). q and y f32; the includer
// declares the K and V buffers and LOAD_K(i) / LOAD_V(i) (f32 or f16 storage).
// POSITIONS: query i sees keys 0 .. pos[i] (clamped to Tk - 1) instead (a KV cache of capacity Tk);
// a query with a negative position sees nothing and yields zeros.
// window > 0 (sliding-window attention): a query at position p sees only keys j > p - window.
// segment > 0 (with POSITIONS): keys of the query's own segment of `segment` rows only.
// The includer declares the workgroup size (local_size_x_id = 0) before facet/common.glsl.
layout(constant_id = 1) const bool CAUSAL = false;
layout(constant_id = 2) const uint DMAX = 128;
layout(constant_id = 3) const bool POSITIONS = false;

layout(push_constant) uniform Push { uint tq; uint tk; uint hq; uint hkv; uint d; uint dv; float scale; uint window; uint segment; } pc;
layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };
layout(std430, binding = 4) readonly buffer P { int pos[]; };

void main() {
  uint task = facet_invocation_index();
  if (task >= pc.tq * pc.hq) return;
  uint i = task / pc.hq, h = task % pc.hq;
  uint hk = h / (pc.hq / pc.hkv);
  uint q_base = (i * pc.hq + h) * pc.d;
  uint last = CAUSAL ? min(pc.tk - pc.tq + i, pc.tk - 1u) : pc.tk - 1u;
  float acc[DMAX];
  for (uint c = 0u; c < pc.dv; ++c) acc[c] = 0.0;
  uint y_base = (i * pc.hq + h) * pc.dv;
  if (POSITIONS) {
    int p = pos[i];
    if (p < 0) {
      for (uint c = 0u; c < pc.dv; ++c) y[y_base + c] = 0.0;
      return;
    }
    last = min(uint(p), pc.tk - 1u);
  }
  // Without positions the query's position is `last` (CAUSAL) or unknown (no window applies).
  uint first = (pc.window > 0u && (CAUSAL || POSITIONS) && last + 1u > pc.window) ? last + 1u - pc.window : 0u;
  // segment > 0 (with positions): the cache holds sequences of `segment` rows each; a query sees
  // only the rows of its own sequence (several sequences decoded in one batch).
  if (POSITIONS && pc.segment > 0u) first = max(first, last - last % pc.segment);
  float m = -3.402823466e38, l = 0.0;
  for (uint j = first; j <= last; ++j) {
    uint k_base = (j * pc.hkv + hk) * pc.d;
    float s = 0.0;
    for (uint c = 0u; c < pc.d; ++c) s += q[q_base + c] * LOAD_K(k_base + c);
    s *= pc.scale;
    if (s > m) {
      float corr = exp(m - s);
      l *= corr;
      for (uint c = 0u; c < pc.dv; ++c) acc[c] *= corr;
      m = s;
    }
    float p = exp(s - m);
    l += p;
    uint v_base = (j * pc.hkv + hk) * pc.dv;
    for (uint c = 0u; c < pc.dv; ++c) acc[c] += p * LOAD_V(v_base + c);
  }
  float inv = 1.0 / l;
  for (uint c = 0u; c < pc.dv; ++c) y[y_base + c] = acc[c] * inv;
}
