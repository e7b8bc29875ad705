// Body of the matrix-vector kernels (few rows of x, e.g. decode): each subgroup computes NB
// outputs y[m, n0 .. n0+NB); its lanes split K in units of 8 elements (adjacent lanes read
// adjacent 32- or 16-byte units, so each weight is read once, in order) and a subgroupAdd sums
// the lanes. Needs K % 8 == 0 and a weight shared by the batch. Expects NB, HAS_BIAS, pc, a4,
// bias, c and DOT8(row_unit, x0, x1) = dot of 8 weights of B at 8-element unit row_unit.
void main() {
  uint nblocks = (pc.N + NB - 1u) / NB;
  uint task = facet_group_index() * (gl_WorkGroupSize.x / gl_SubgroupSize) + gl_SubgroupID;
  if (task >= pc.M * nblocks) return;  // uniform within the subgroup
  uint m = task / nblocks, n0 = (task % nblocks) * NB;
  uint units = pc.K / 8u;
  uint a_base = (m * pc.K) / 4u;
  float acc[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] = 0.0;
  for (uint w = gl_SubgroupInvocationID; w < units; w += gl_SubgroupSize) {
    vec4 x0 = a4[a_base + 2u * w], x1 = a4[a_base + 2u * w + 1u];
    [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] += DOT8(min(n0 + j, pc.N - 1u) * units + w, x0, x1);
  }
  [[unroll]] for (uint j = 0u; j < NB; ++j) {
    float s = subgroupAdd(acc[j]);
    uint n = n0 + j;
    if (subgroupElect() && n < pc.N) {
      float y = HAS_BIAS ? s + bias[n] : s;
      store_output(0u, m, n, y);
    }
  }
}
