#version 450
#extension GL_GOOGLE_include_directive : require
// Rotary position embedding of x [T, H, D] at positions pos [T] (i32), with cos/sin tables
// [P, R] (R = rotated pairs; the first 2R dims rotate, the rest pass through). MODE 0: pairs are
// (i, i + R) (Hugging Face's rotate_half); MODE 1: pairs are (2i, 2i + 1) (GGUF llama).
// period > 0: the position is pos mod period. Positions outside the table are clamped (callers
// validate them). f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 2) const uint MODE = 0;

layout(push_constant) uniform Push { uint n; uint chunk; uint heads; uint dim; uint pairs; uint table_rows; uint period; } pc;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Pos { int pos[]; };
layout(std430, binding = 2) readonly buffer Cos { float cos_t[]; };
layout(std430, binding = 3) readonly buffer Sin { float sin_t[]; };
layout(std430, binding = 4) writeonly buffer Y { float y[]; };

float rotate(uint e) {
  uint d = e % pc.dim;
  uint t = e / (pc.dim * pc.heads);
  if (d >= 2u * pc.pairs) return x[e];
  int at = pos[t];
  if (pc.period > 0u && at >= 0) at = at % int(pc.period);  // rows of a multi-sequence KV cache
  uint p = uint(clamp(at, 0, int(pc.table_rows) - 1));
  uint i = MODE == 0u ? d % pc.pairs : d >> 1;
  bool first = MODE == 0u ? d < pc.pairs : (d & 1u) == 0u;
  uint partner = MODE == 0u ? (first ? e + pc.pairs : e - pc.pairs) : (first ? e + 1u : e - 1u);
  float c = cos_t[p * pc.pairs + i], s = sin_t[p * pc.pairs + i];
  return first ? x[e] * c - x[partner] * s : x[partner] * s + x[e] * c;
}

#define ELEMENT(i) y[i] = rotate(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
