#version 450
#extension GL_GOOGLE_include_directive : require
// Bicubic resize of a channels-last grid x [H, W, C] -> y [OH, OW, C], PyTorch's
// interpolate(mode="bicubic", align_corners=False, antialias=False): source coordinate
// scale * (dst + 0.5) - 0.5, cubic convolution with A = -0.75, taps clamped to the border.
// scale_h/scale_w are H/OH and W/OW rounded to f32 on the host (as PyTorch computes them).
// ANTIALIAS (antialias=True): A = -0.5, filter stretched by the scale when shrinking, taps outside
// the grid dropped and the weights renormalized (PIL's scheme). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 2) const bool ANTIALIAS = false;

layout(push_constant) uniform Push {
  uint n; uint chunk; uint in_h; uint in_w; uint out_h; uint out_w; uint channels; float scale_h; float scale_w;
} pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

const float A = -0.75;

// The four tap weights for fractional offset t in [0, 1).
vec4 cubic_weights(float t) {
  float t1 = t + 1.0, t2 = 1.0 - t, t3 = 2.0 - t;
  return vec4(((A * t1 - 5.0 * A) * t1 + 8.0 * A) * t1 - 4.0 * A,
              ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0,
              ((A + 2.0) * t2 - (A + 3.0)) * t2 * t2 + 1.0,
              ((A * t3 - 5.0 * A) * t3 + 8.0 * A) * t3 - 4.0 * A);
}

float aa_filter(float v) {
  v = abs(v);
  if (v < 1.0) return (1.5 * v - 2.5) * v * v + 1.0;
  if (v < 2.0) return (((v - 5.0) * v + 8.0) * v - 4.0) * -0.5;
  return 0.0;
}

// The antialiased window of output o along an axis of `size` inputs: [lo, hi), centre, stretch.
void aa_window(uint o, uint size, float scale, out int lo, out int hi, out float center, out float stretch) {
  stretch = max(scale, 1.0);
  float support = 2.0 * stretch;
  center = scale * (float(o) + 0.5);
  lo = max(int(center - support + 0.5), 0);
  hi = min(int(center + support + 0.5), int(size));
}

float resize_aa(uint c, uint ox, uint oy) {
  int y0, y1, x0, x1;
  float cy, cx, sy, sx;
  aa_window(oy, pc.in_h, pc.scale_h, y0, y1, cy, sy);
  aa_window(ox, pc.in_w, pc.scale_w, x0, x1, cx, sx);
  float ty = 0.0, tx = 0.0;
  for (int j = y0; j < y1; ++j) ty += aa_filter((float(j) - cy + 0.5) / sy);
  for (int i = x0; i < x1; ++i) tx += aa_filter((float(i) - cx + 0.5) / sx);
  float acc = 0.0;
  for (int j = y0; j < y1; ++j) {
    float row = 0.0;
    for (int i = x0; i < x1; ++i) row += aa_filter((float(i) - cx + 0.5) / sx) * x[(uint(j) * pc.in_w + uint(i)) * pc.channels + c];
    acc += aa_filter((float(j) - cy + 0.5) / sy) * row;
  }
  return acc / ((ty == 0.0 ? 1.0 : ty) * (tx == 0.0 ? 1.0 : tx));
}

float resize(uint e) {
  uint c = e % pc.channels;
  uint ox = (e / pc.channels) % pc.out_w;
  uint oy = e / (pc.channels * pc.out_w);
  if (ANTIALIAS) return resize_aa(c, ox, oy);
  float ry = pc.scale_h * (float(oy) + 0.5) - 0.5, rx = pc.scale_w * (float(ox) + 0.5) - 0.5;
  float fy = floor(ry), fx = floor(rx);
  vec4 wy = cubic_weights(ry - fy), wx = cubic_weights(rx - fx);
  int iy = int(fy) - 1, ix = int(fx) - 1;
  float acc = 0.0;
  for (int j = 0; j < 4; ++j) {
    uint yy = uint(clamp(iy + j, 0, int(pc.in_h) - 1));
    float row = 0.0;
    for (int i = 0; i < 4; ++i) {
      uint xx = uint(clamp(ix + i, 0, int(pc.in_w) - 1));
      row += wx[i] * x[(yy * pc.in_w + xx) * pc.channels + c];
    }
    acc += wy[j] * row;
  }
  return acc;
}

#define ELEMENT(i) y[i] = resize(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
