// GGUF block-quantized formats (blocks run along the innermost dimension):
//   Q8_0  32 elements, 34 bytes: f16 d, int8 q[32];                  x = d * q
//   Q4_0  32 elements, 18 bytes: f16 d, u8 nibbles[16];              x = d * (q - 8)
//   Q4_1  32 elements, 20 bytes: f16 d, f16 m, u8 nibbles[16];       x = d * q + m
//         (element i < 16 is the low nibble of byte i, element i + 16 its high nibble)
//   Q4_K 256 elements, 144 bytes: f16 d, f16 dmin, u8 scales[12] (8 pairs of 6-bit scale/min),
//         u8 nibbles[128]; x = (d * sc) * q - (dmin * mn) per 32-element sub-block
//   Q6_K 256 elements, 210 bytes: u8 ql[128], u8 qh[64], int8 scales[16], f16 d;
//         x = (d * sc) * (q - 32) with q = 4 low bits from ql and 2 high bits from qh
// The same arithmetic, in the same order, is in sdk/shaders/facet/quant.glsl.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/dtype.hpp"

namespace facet {

// Dequantizes `count` elements (a multiple of the block size) starting at a block boundary.
void dequantize(DType type, const void* blocks, float* out, int64_t count);
// Reference quantizers (round to nearest) for Q8_0, Q4_0 and Q4_1; count a multiple of 32.
std::vector<uint8_t> quantize(DType type, const float* values, int64_t count);

}  // namespace facet
