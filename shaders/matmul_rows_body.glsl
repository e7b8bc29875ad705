// Body of the barrier-free matmul for CPU devices (quirk contiguous_work_layout): each invocation
// computes NB adjacent outputs C[m, n0 .. n0+NB) and streams row m of A and rows n0.. of B
// contiguously along K, which is what CPU drivers run fast (no shared memory, no barriers).
// Expects NB, HAS_BIAS, pc, a, bias, c and LOAD_B.
void main() {
  uint nblocks = (pc.N + NB - 1u) / NB;
  uint inv = facet_invocation_index();
  if (inv >= pc.M * nblocks) return;
  uint batch = gl_WorkGroupID.z;
  uint m = inv / nblocks, n0 = (inv % nblocks) * NB;
  uint a_row = batch * pc.a_batch + m * pc.K;
  uint b_base = batch * pc.b_batch;
  uint rows[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = b_base + min(n0 + j, pc.N - 1u) * pc.K;
  float acc[NB];
  [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] = 0.0;
  for (uint k = 0u; k < pc.K; ++k) {
    float av = a[a_row + k];
    [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] += av * LOAD_B(rows[j] + k);
  }
  [[unroll]] for (uint j = 0u; j < NB; ++j) {
    uint n = n0 + j;
    if (n >= pc.N) continue;
    float y = HAS_BIAS ? acc[j] + bias[n] : acc[j];
    store_output(batch, m, n, y);
  }
}
