// Body shared by the matmul dtype variants: expects TILE, HAS_BIAS, pc, a, bias, c and LOAD_B.
shared float tile_a[TILE][TILE];
shared float tile_b[TILE][TILE];

void main() {
  uint batch = gl_WorkGroupID.z;
  uint row = gl_WorkGroupID.y * TILE + gl_LocalInvocationID.y;  // m
  uint col = gl_WorkGroupID.x * TILE + gl_LocalInvocationID.x;  // n
  uint a_base = batch * pc.a_batch;
  uint b_base = batch * pc.b_batch;
  // The row of B this invocation loads into the tile: n index of its tile column.
  uint b_row = gl_WorkGroupID.x * TILE + gl_LocalInvocationID.y;
  float acc = 0.0;
  for (uint k0 = 0; k0 < pc.K; k0 += TILE) {
    uint ka = k0 + gl_LocalInvocationID.x;
    tile_a[gl_LocalInvocationID.y][gl_LocalInvocationID.x] =
        (row < pc.M && ka < pc.K) ? a[a_base + row * pc.K + ka] : 0.0;
    tile_b[gl_LocalInvocationID.y][gl_LocalInvocationID.x] =
        (b_row < pc.N && ka < pc.K) ? LOAD_B(b_base + b_row * pc.K + ka) : 0.0;
    barrier();
    [[unroll]] for (uint k = 0; k < TILE; ++k)
      acc += tile_a[gl_LocalInvocationID.y][k] * tile_b[gl_LocalInvocationID.x][k];
    barrier();
  }
  if (row < pc.M && col < pc.N) {
    if (HAS_BIAS) acc += bias[col];
    uint o = batch * pc.c_batch + row * pc.N + col;
    c[o] = pc.residual != 0u ? acc + residual[o] : acc;
  }
}
