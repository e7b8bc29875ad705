#version 450
#extension GL_GOOGLE_include_directive : require
// Row top-k of x [R, C]: the k largest values of each row in descending order, ties to the smaller
// index (a stable sort's order), NaN never taken; i32 indices [R, k] or, with VALUES, their f32
// values. A row with fewer than k values that are not NaN ends with index -1 / value -inf.
// One workgroup of 16 invocations per row: each keeps the sorted best k of its strided share of
// the row (insertion; rare once the list is full), then invocation 0 merges the 16 lists.
// k <= KMAX (64). No per-element barriers, so it also suits CPU devices.
layout(local_size_x = 16) in;
#include "facet/common.glsl"
layout(constant_id = 1) const bool VALUES = false;
const uint KMAX = 64u;
const uint LISTS = 16u;

layout(push_constant) uniform Push { uint rows; uint cols; uint k; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { uint y[]; };  // i32 indices, or f32 bits

shared float sv[LISTS * KMAX];
shared uint si[LISTS * KMAX];

const uint NONE = 0xFFFFFFFFu;
#define NEG_INF uintBitsToFloat(0xFF800000u)

bool better(float v, uint i, float bv, uint bi) { return v > bv || (v == bv && i < bi); }

void main() {
  uint row = facet_group_index();
  if (row >= pc.rows) return;  // uniform across the workgroup
  uint lid = gl_LocalInvocationID.x, mine = lid * KMAX, base = row * pc.cols, n = 0u;
  for (uint i = lid; i < pc.cols; i += LISTS) {
    float v = x[base + i];
    if (isnan(v)) continue;
    if (n == pc.k && !better(v, i, sv[mine + n - 1u], si[mine + n - 1u])) continue;
    uint j = n < pc.k ? n++ : pc.k - 1u;
    for (; j > 0u && better(v, i, sv[mine + j - 1u], si[mine + j - 1u]); --j) {
      sv[mine + j] = sv[mine + j - 1u];
      si[mine + j] = si[mine + j - 1u];
    }
    sv[mine + j] = v;
    si[mine + j] = i;
  }
  for (uint j = n; j < pc.k; ++j) {
    sv[mine + j] = NEG_INF;
    si[mine + j] = NONE;
  }
  barrier();
  if (lid != 0u) return;
  uint head[LISTS];
  for (uint l = 0u; l < LISTS; ++l) head[l] = 0u;
  for (uint out_i = 0u; out_i < pc.k; ++out_i) {
    uint best = 0u;
    for (uint l = 1u; l < LISTS; ++l)
      if (better(sv[l * KMAX + head[l]], si[l * KMAX + head[l]], sv[best * KMAX + head[best]], si[best * KMAX + head[best]]))
        best = l;
    uint at = best * KMAX + head[best];
    y[row * pc.k + out_i] = VALUES ? floatBitsToUint(sv[at]) : si[at];
    if (si[at] != NONE) ++head[best];  // an exhausted list keeps offering its empty slot
  }
}
