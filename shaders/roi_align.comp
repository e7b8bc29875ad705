#version 450
#extension GL_GOOGLE_include_directive : require
// ROI-Align (torchvision.ops.roi_align's arithmetic) on a channels-last grid: x f32 [H, W, C],
// boxes f32 [K, 4] (x1, y1, x2, y2 in input coordinates) -> y f32 [K, PH, PW, C]. Each output
// bin averages GH x GW bilinear samples at the centres of a regular grid over the bin; GH, GW are
// sampling_ratio, or ceil(box size / bins) when sampling_ratio <= 0. ALIGNED shifts boxes by half
// a pixel; without it boxes are at least 1 x 1. Samples more than one pixel outside the grid
// count as 0. One invocation per output element (adjacent invocations: adjacent channels).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 2) const bool ALIGNED = false;

layout(push_constant) uniform Push {
  uint n; uint chunk; uint h; uint w; uint c; uint ph; uint pw; float scale; int sampling;
} pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer B { float boxes[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

float bilinear(float yy, float xx, uint ch) {
  if (yy < -1.0 || yy > float(pc.h) || xx < -1.0 || xx > float(pc.w)) return 0.0;
  yy = max(yy, 0.0);
  xx = max(xx, 0.0);
  uint y0 = uint(yy), x0 = uint(xx), y1, x1;
  if (y0 >= pc.h - 1u) { y0 = y1 = pc.h - 1u; yy = float(y0); } else { y1 = y0 + 1u; }
  if (x0 >= pc.w - 1u) { x0 = x1 = pc.w - 1u; xx = float(x0); } else { x1 = x0 + 1u; }
  float ly = yy - float(y0), lx = xx - float(x0), hy = 1.0 - ly, hx = 1.0 - lx;
  return hy * hx * x[(y0 * pc.w + x0) * pc.c + ch] + hy * lx * x[(y0 * pc.w + x1) * pc.c + ch] +
         ly * hx * x[(y1 * pc.w + x0) * pc.c + ch] + ly * lx * x[(y1 * pc.w + x1) * pc.c + ch];
}

float roi_align(uint e) {
  uint ch = e % pc.c, bin = e / pc.c, bx = bin % pc.pw, by = (bin / pc.pw) % pc.ph, k = bin / (pc.pw * pc.ph);
  float offset = ALIGNED ? 0.5 : 0.0;
  float sx = boxes[4u * k] * pc.scale - offset, sy = boxes[4u * k + 1u] * pc.scale - offset;
  float rw = boxes[4u * k + 2u] * pc.scale - offset - sx, rh = boxes[4u * k + 3u] * pc.scale - offset - sy;
  if (!ALIGNED) {
    rw = max(rw, 1.0);
    rh = max(rh, 1.0);
  }
  float bh = rh / float(pc.ph), bw = rw / float(pc.pw);
  int gh = pc.sampling > 0 ? pc.sampling : int(ceil(rh / float(pc.ph)));
  int gw = pc.sampling > 0 ? pc.sampling : int(ceil(rw / float(pc.pw)));
  float sum = 0.0;
  for (int iy = 0; iy < gh; ++iy) {
    float yy = sy + float(by) * bh + (float(iy) + 0.5) * bh / float(gh);
    for (int ix = 0; ix < gw; ++ix) sum += bilinear(yy, sx + float(bx) * bw + (float(ix) + 0.5) * bw / float(gw), ch);
  }
  return sum / float(max(gh * gw, 1));
}

#define ELEMENT(i) y[i] = roi_align(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
