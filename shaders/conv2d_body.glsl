// Body of the conv2d kernels for GPUs (conv2d_f32/f16.comp): the convolution as an implicit GEMM
// y[o, p] = sum_k weight[o, k] * patch[p, k], k = (c, ky, kx) in PyTorch weight order, p = oy * OW + ox,
// in shared-memory tiles of TILE output channels x TILE pixels. The patch tile is gathered from x
// as it is loaded (zero outside the image), so no im2col buffer exists. Neighbouring invocations
// load neighbouring weights (along k) and neighbouring pixels (coalesced).
// Expects TILE, HAS_BIAS, pc, x, bias, y and LOAD_W(index) of the flat weight.
shared float tile_w[TILE][TILE];  // [o][k]
shared float tile_p[TILE][TILE];  // [p][k]

float patch_value(uint p, uint k) {
  uint taps = pc.kh * pc.kw, ch = k / taps, t = k % taps;
  int iy = int((p / pc.ow) * pc.sh + t / pc.kw) - int(pc.ph);
  int ix = int((p % pc.ow) * pc.sw + t % pc.kw) - int(pc.pw);
  if (iy < 0 || ix < 0 || iy >= int(pc.h) || ix >= int(pc.w)) return 0.0;
  return x[(ch * pc.h + uint(iy)) * pc.w + uint(ix)];
}

void main() {
  const uint lx = gl_LocalInvocationID.x, ly = gl_LocalInvocationID.y;
  const uint K = pc.c * pc.kh * pc.kw, P = pc.oh * pc.ow;
  const uint o = gl_WorkGroupID.y * TILE + ly, p = gl_WorkGroupID.x * TILE + lx;
  const uint o_load = gl_WorkGroupID.y * TILE + ly;  // weight row this invocation loads (k along x)
  const uint p_load = gl_WorkGroupID.x * TILE + lx;  // pixel this invocation loads (k along y)
  float acc = 0.0;
  for (uint k0 = 0u; k0 < K; k0 += TILE) {
    tile_w[ly][lx] = (o_load < pc.o && k0 + lx < K) ? LOAD_W(o_load * K + k0 + lx) : 0.0;
    tile_p[lx][ly] = (p_load < P && k0 + ly < K) ? patch_value(p_load, k0 + ly) : 0.0;
    barrier();
    [[unroll]] for (uint k = 0u; k < TILE; ++k) acc += tile_w[ly][k] * tile_p[lx][k];
    barrier();
  }
  if (o < pc.o && p < P) y[o * P + p] = HAS_BIAS ? acc + bias[o] : acc;
}
