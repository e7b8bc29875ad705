#version 450
#extension GL_GOOGLE_include_directive : require
// im2col of an image x [C, H, W]: y[oy * OW + ox, (c * KH + ky) * KW + kx] =
// x[c, oy * SH - PH + ky, ox * SW - PW + kx], or 0 outside the image. With a PyTorch conv weight
// [O, C, KH, KW] seen as [O, C*KH*KW], a convolution is matmul(im2col(x), weight). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push {
  uint n; uint chunk;
  uint c; uint h; uint w; uint kh; uint kw; uint sh; uint sw; uint ph; uint pw; uint ow;
} pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

float patch_value(uint e) {
  uint cols = pc.c * pc.kh * pc.kw;
  uint row = e / cols, col = e % cols;
  uint oy = row / pc.ow, ox = row % pc.ow;
  uint c = col / (pc.kh * pc.kw), k = col % (pc.kh * pc.kw);
  int iy = int(oy * pc.sh + k / pc.kw) - int(pc.ph);
  int ix = int(ox * pc.sw + k % pc.kw) - int(pc.pw);
  if (iy < 0 || ix < 0 || iy >= int(pc.h) || ix >= int(pc.w)) return 0.0;
  return x[(c * pc.h + uint(iy)) * pc.w + uint(ix)];
}

#define ELEMENT(i) y[i] = patch_value(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
