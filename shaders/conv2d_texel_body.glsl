// Body of the conv2d kernels for CPU devices (conv2d_texel_f32/f16.comp), an implicit GEMM with
// texel fetches. Each invocation computes a register tile of MB output channels x NB pixels of
// one output row (ox0 .. ox0 + NB - 1). The K loop steps CB channels at a time, CB * KH * KW
// weights of an output channel being whole texels of its row (the weight's own layout, no copy).
// CW channels at a time, the CW * KH input rows the tile reads are fetched once as aligned vec4
// texels (W % 4 == 0, so a texel never straddles two rows) into register windows, less the
// padding's offset inside a texel (a specialization constant), zeroed outside the image; then each output channel's
// weights of those channels are fetched (the texels holding them) and every tap reads the
// windows at a constant index. CW trades the windows' registers against weight texels fetched
// twice where channels share one. Consecutive invocations take consecutive pixel tiles of the same channels: their
// fetches of a row are neighbours, their weight fetches the same texels.
// Expects STEP, sampler xt (x as RGBA32F), sampler b and LOAD_W (texel_weights.glsl).
#include "conv2d_io.glsl"
layout(constant_id = 1) const bool HAS_BIAS = false;
layout(constant_id = 2) const uint NB = 16;  // pixels per tile, a multiple of 4
layout(constant_id = 3) const uint MB = 8;   // output channels per tile
layout(constant_id = 4) const uint KH = 3;   // kernel taps (the push constants kh, kw agree)
layout(constant_id = 5) const uint KW = 3;
layout(constant_id = 6) const uint SW = 1;   // horizontal stride (sizes the window)
layout(constant_id = 7) const uint CB = 4;   // channels per step: CB * KH * KW % STEP == 0
layout(constant_id = 8) const uint CW = 1;   // channels whose input rows are held at once (divides CB)
layout(constant_id = 9) const uint SHIFT = 0;  // (-pw) mod 4: where a window starts in its first texel

const uint T = KH * KW;                    // taps per channel
const uint WN = (NB - 1u) * SW + KW;       // window values a tile row reads
const uint WT = (WN + SHIFT + 3u) / 4u;    // texels fetched: WN values after SHIFT
const uint UC = (CW * T + STEP - 2u) / STEP + 1u;  // weight texels spanned by CW channels' taps

float acc[MB * NB];

void main() {
  const uint tiles_x = (pc.ow + NB - 1u) / NB, ptiles = pc.oh * tiles_x;
  const uint inv = facet_invocation_index(), pt = inv % ptiles, o0 = (inv / ptiles) * MB;
  if (o0 >= pc.o) return;
  const uint oy = pt / tiles_x, ox0 = (pt % tiles_x) * NB;
  // The window of a tile row starts at input column ix0 = ox0 * SW - pw (ox0 * SW a multiple of
  // 4); fetches start at the texel holding it, SHIFT values before it.
  const int t0 = (int(ox0 * SW) - int(pc.pw) - int(SHIFT)) / 4;
  const int w4 = int(pc.w / 4u), iy0 = int(oy * pc.sh) - int(pc.ph);
  // First weight texel of each of the tile's output channels (rows past O repeat the last one).
  const int row_texels = int(pc.c * T / STEP);
  int wrow[MB];
  [[unroll]] for (uint i = 0u; i < MB; ++i) wrow[i] = int(min(o0 + i, pc.o - 1u)) * row_texels;
  [[unroll]] for (uint t = 0u; t < MB * NB; ++t) acc[t] = 0.0;
  for (uint c0 = 0u; c0 < pc.c; c0 += CB) {
    const int step_texel = int(c0 * T / STEP);
    [[unroll]] for (uint c1 = 0u; c1 < CB; c1 += CW) {
      float win[CW * KH * WN];  // input rows of channels c0 + c1 + cc, row ky at (cc * KH + ky) * WN
      [[unroll]] for (uint r = 0u; r < CW * KH; ++r) {
        const int iy = iy0 + int(r % KH);
        const bool row_in = iy >= 0 && iy < int(pc.h);
        const int row = (int(c0 + c1 + r / KH) * int(pc.h) + clamp(iy, 0, int(pc.h) - 1)) * w4;
        float raw[WT * 4u];
        [[unroll]] for (uint t = 0u; t < WT; ++t) {
          const int tx = t0 + int(t);
          vec4 v = texelFetch(xt, row + clamp(tx, 0, w4 - 1));
          if (!row_in || tx < 0 || tx >= w4) v = vec4(0.0);
          raw[4u * t] = v.x;
          raw[4u * t + 1u] = v.y;
          raw[4u * t + 2u] = v.z;
          raw[4u * t + 3u] = v.w;
        }
        [[unroll]] for (uint e = 0u; e < WN; ++e)
          win[r * WN + e] = raw[e + SHIFT];
      }
      // These channels' weights of output channel i: weight (cc, ky, kx) is element
      // (c1 + cc) * T + ky * KW + kx of the step, in its texels u0 .. u0 + UC - 1.
      const uint u0 = c1 * T / STEP;
      [[unroll]] for (uint i = 0u; i < MB; ++i) {
        vec4 wv[UC * STEP / 4u];
        [[unroll]] for (uint u = 0u; u < UC; ++u) {
          vec4 part[STEP / 4u];
          LOAD_W(min(wrow[i] + step_texel + int(u0 + u), wrow[i] + row_texels - 1), part);
          [[unroll]] for (uint q = 0u; q < STEP / 4u; ++q) wv[u * (STEP / 4u) + q] = part[q];
        }
        [[unroll]] for (uint cc = 0u; cc < CW; ++cc)
          [[unroll]] for (uint ky = 0u; ky < KH; ++ky)
            [[unroll]] for (uint kx = 0u; kx < KW; ++kx) {
              const uint e = (c1 + cc) * T + ky * KW + kx - u0 * STEP;
              const float wk = wv[e / 4u][e % 4u];
              const uint r = (cc * KH + ky) * WN + kx;
              [[unroll]] for (uint j = 0u; j < NB; ++j) acc[i * NB + j] += wk * win[r + j * SW];
            }
      }
    }
  }
  const uint P = pc.oh * pc.ow;
  [[unroll]] for (uint i = 0u; i < MB; ++i) {
    const uint o = o0 + i;
    if (o >= pc.o) break;
    const float b = HAS_BIAS ? bias[o] : 0.0;
    [[unroll]] for (uint j = 0u; j < NB; ++j)
      if (ox0 + j < pc.ow) y[o * P + oy * pc.ow + ox0 + j] = acc[i * NB + j] + b;
  }
}
