#version 450
#extension GL_GOOGLE_include_directive : require
// Converts between f32, f16 and bf16 (specialization constants 2 and 3: 0 f32, 1 f16, 2 bf16).
// Each ELEMENT handles a pair of elements (2i, 2i+1), so 16-bit outputs are written as whole
// 32-bit words and no two invocations share a word. 16-bit data is read and written as packed
// uints, which needs no 16-bit storage support. f16 conversion rounds to nearest even.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(constant_id = 2) const uint SRC = 0;
layout(constant_id = 3) const uint DST = 1;

layout(push_constant) uniform Push { uint n; uint chunk; uint count; } pc;  // n = pairs, count = elements
layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) writeonly buffer Y { uint y[]; };

float load(uint i) {
  if (SRC == 0) return uintBitsToFloat(x[i]);
  uint word = x[i >> 1];
  uint half_bits = (i & 1u) == 0u ? (word & 0xFFFFu) : (word >> 16);
  return SRC == 1 ? unpackHalf2x16(half_bits).x : uintBitsToFloat(half_bits << 16);
}

uint to_bf16(float f) {
  uint b = floatBitsToUint(f);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (b >> 16) | 0x40u;  // quiet NaN
  return (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
}

void convert_pair(uint p) {
  uint i = 2u * p;
  float a = load(i);
  float b = i + 1u < pc.count ? load(i + 1u) : 0.0;
  if (DST == 0) {
    y[i] = floatBitsToUint(a);
    if (i + 1u < pc.count) y[i + 1u] = floatBitsToUint(b);
  } else if (DST == 1) {
    y[p] = packHalf2x16(vec2(a, b));
  } else {
    y[p] = to_bf16(a) | (to_bf16(b) << 16);
  }
}

#define ELEMENT(i) convert_pair(i)
#include "elementwise_loop.glsl"

void main() { facet_elementwise_main(); }
