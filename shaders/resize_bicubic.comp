#version 450
#extension GL_GOOGLE_include_directive : require
// Bicubic resize of a channels-last grid x [H, W, C] -> y [OH, OW, C], PyTorch's
// interpolate(mode="bicubic", align_corners=False, antialias=False): source coordinate
// scale * (dst + 0.5) - 0.5, cubic convolution with A = -0.75, taps clamped to the border.
// scale_h/scale_w are H/OH and W/OW rounded to f32 on the host (as PyTorch computes them). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

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

float resize(uint e) {
  uint c = e % pc.channels;
  uint ox = (e / pc.channels) % pc.out_w;
  uint oy = e / (pc.channels * pc.out_w);
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
