// The output side shared by every matmul kernel: push constants (the contract of core/ops/matmul.cpp),
// bias (binding 2), output (binding 3), residual (binding 4, added when pc.residual != 0), and
// where output (batch, m, n) is stored.
//
// Parts: columns [0, part1), [part1, part2) and [part2, N) are stored one after another, each as
// its own dense [M, width] matrix, so each is a plain tensor at an offset of the output: the
// outputs of sibling matmuls merged into one dispatch (core/graph/merge.hpp). part1 = part2 = N
// is one [M, N] matrix. Parts come with unbatched x only (batch 0).
layout(push_constant) uniform Push {
  uint M; uint N; uint K; uint a_batch; uint b_batch; uint c_batch; uint residual; uint part1; uint part2;
} pc;
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer C { float c[]; };
layout(std430, binding = 4) readonly buffer Residual { float residual[]; };

uint out_index(uint batch, uint m, uint n) {
  const uint start = n < pc.part1 ? 0u : (n < pc.part2 ? pc.part1 : pc.part2);
  const uint end = n < pc.part1 ? pc.part1 : (n < pc.part2 ? pc.part2 : pc.N);
  return batch * pc.c_batch + start * pc.M + m * (end - start) + (n - start);
}

// Stores y (the product plus bias) as output (batch, m, n), adding the residual where asked.
void store_output(uint batch, uint m, uint n, float y) {
  const uint o = out_index(batch, m, n);
  c[o] = pc.residual != 0u ? y + residual[o] : y;
}
