// Body shared by the matmul dtype variants: expects TILE, HAS_BIAS, pc, a, bias, c and LOAD_B.
// Built with FACET_FP16_ARITHMETIC ("<kernel>_fp16", for weights of 16 bits or less on devices
// with shaderFloat16), the tiles hold f16 (x rounded once when loaded: the weights lose nothing)
// and each group of 4 products is a packed f16 dot product, added to the f32 accumulator.
#ifdef FACET_FP16_ARITHMETIC
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define TILE_T float16_t
#else
#define TILE_T float
#endif
shared TILE_T tile_a[TILE][TILE];
shared TILE_T tile_b[TILE][TILE];

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
        TILE_T((row < pc.M && ka < pc.K) ? a[a_base + row * pc.K + ka] : 0.0);
    tile_b[gl_LocalInvocationID.y][gl_LocalInvocationID.x] =
        TILE_T((b_row < pc.N && ka < pc.K) ? LOAD_B(b_base + b_row * pc.K + ka) : 0.0);
    barrier();
#ifdef FACET_FP16_ARITHMETIC
    const uint y = gl_LocalInvocationID.y, x = gl_LocalInvocationID.x;
    [[unroll]] for (uint k = 0; k < TILE; k += 4)
      acc += float(dot(f16vec4(tile_a[y][k], tile_a[y][k + 1], tile_a[y][k + 2], tile_a[y][k + 3]),
                       f16vec4(tile_b[x][k], tile_b[x][k + 1], tile_b[x][k + 2], tile_b[x][k + 3])));
#else
    [[unroll]] for (uint k = 0; k < TILE; ++k)
      acc += tile_a[gl_LocalInvocationID.y][k] * tile_b[gl_LocalInvocationID.x][k];
#endif
    barrier();
  }
  if (row < pc.M && col < pc.N) {
    if (HAS_BIAS) acc += bias[col];
    store_output(batch, row, col, acc);
  }
}
