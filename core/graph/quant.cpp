#include "graph/quant.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "util/error.hpp"
#include "util/half.hpp"

namespace facet {

namespace {

float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K super-block.
void scale_min_k4(int j, const uint8_t* s, int& sc, int& mn) {
  if (j < 4) {
    sc = s[j] & 63;
    mn = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

void put_half(uint8_t* p, float v) {
  uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

}  // namespace

void dequantize(DType type, const void* blocks, float* out, int64_t count) {
  const DTypeInfo& info = dtype_info(type);
  if (info.block_elems == 1 || count % info.block_elems != 0)
    throw InternalError("dequantize: " + std::string(info.name) + " count " + std::to_string(count));
  const auto* b = static_cast<const uint8_t*>(blocks);
  for (int64_t blk = 0; blk < count / info.block_elems; ++blk, b += info.block_bytes) {
    float* y = out + blk * info.block_elems;
    switch (type) {
      case DType::Q8_0: {
        float d = half_at(b);
        for (int i = 0; i < 32; ++i) y[i] = d * static_cast<float>(static_cast<int8_t>(b[2 + i]));
        break;
      }
      case DType::Q4_0:
      case DType::Q4_1: {
        float d = half_at(b), m = type == DType::Q4_1 ? half_at(b + 2) : 0.0f;
        const uint8_t* q = b + (type == DType::Q4_1 ? 4 : 2);
        for (int i = 0; i < 16; ++i) {
          int lo = q[i] & 0xF, hi = q[i] >> 4;
          if (type == DType::Q4_0) {
            y[i] = d * static_cast<float>(lo - 8);
            y[i + 16] = d * static_cast<float>(hi - 8);
          } else {
            y[i] = d * static_cast<float>(lo) + m;
            y[i + 16] = d * static_cast<float>(hi) + m;
          }
        }
        break;
      }
      case DType::Q4_K: {
        float d = half_at(b), dmin = half_at(b + 2);
        const uint8_t* scales = b + 4;
        const uint8_t* q = b + 16;
        for (int chunk = 0; chunk < 4; ++chunk) {  // 64 elements: low nibbles, then high nibbles
          int sc, mn;
          scale_min_k4(2 * chunk, scales, sc, mn);
          float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
          scale_min_k4(2 * chunk + 1, scales, sc, mn);
          float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
          for (int l = 0; l < 32; ++l) {
            y[64 * chunk + l] = d1 * static_cast<float>(q[32 * chunk + l] & 0xF) - m1;
            y[64 * chunk + 32 + l] = d2 * static_cast<float>(q[32 * chunk + l] >> 4) - m2;
          }
        }
        break;
      }
      case DType::Q6_K: {
        const uint8_t* ql = b;
        const uint8_t* qh = b + 128;
        const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
        float d = half_at(b + 208);
        for (int half = 0; half < 2; ++half) {  // 128 elements each
          for (int l = 0; l < 32; ++l) {
            int h = qh[32 * half + l];
            int q[4] = {(ql[64 * half + l] & 0xF) | (((h >> 0) & 3) << 4), (ql[64 * half + l + 32] & 0xF) | (((h >> 2) & 3) << 4),
                        (ql[64 * half + l] >> 4) | (((h >> 4) & 3) << 4), (ql[64 * half + l + 32] >> 4) | (((h >> 6) & 3) << 4)};
            for (int quarter = 0; quarter < 4; ++quarter) {
              float s = d * static_cast<float>(sc[8 * half + l / 16 + 2 * quarter]);
              y[128 * half + 32 * quarter + l] = s * static_cast<float>(q[quarter] - 32);
            }
          }
        }
        break;
      }
      default:
        throw InternalError("dequantize: not a block type");
    }
  }
}

std::vector<uint8_t> quantize(DType type, const float* x, int64_t count) {
  if ((type != DType::Q8_0 && type != DType::Q4_0 && type != DType::Q4_1) || count % 32 != 0)
    throw InputError("quantize: only q8_0, q4_0 and q4_1 of whole 32-element blocks");
  const DTypeInfo& info = dtype_info(type);
  std::vector<uint8_t> out(static_cast<size_t>(count / 32) * info.block_bytes);
  for (int64_t blk = 0; blk < count / 32; ++blk) {
    const float* v = x + blk * 32;
    uint8_t* b = out.data() + blk * info.block_bytes;
    if (type == DType::Q8_0) {
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[i]));
      float d = amax / 127.0f, inv = d ? 1.0f / d : 0.0f;
      put_half(b, d);
      for (int i = 0; i < 32; ++i) b[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(std::lround(v[i] * inv)));
    } else if (type == DType::Q4_0) {
      // The value of largest magnitude maps to -8 (keeping its sign), as GGUF's Q4_0 does.
      float max = 0;
      for (int i = 0; i < 32; ++i)
        if (std::fabs(v[i]) > std::fabs(max)) max = v[i];
      float d = max / -8.0f, inv = d ? 1.0f / d : 0.0f;
      put_half(b, d);
      for (int i = 0; i < 16; ++i) {
        int lo = std::clamp(static_cast<int>(std::lround(v[i] * inv)) + 8, 0, 15);
        int hi = std::clamp(static_cast<int>(std::lround(v[i + 16] * inv)) + 8, 0, 15);
        b[2 + i] = static_cast<uint8_t>(lo | (hi << 4));
      }
    } else {
      float lo_v = v[0], hi_v = v[0];
      for (int i = 0; i < 32; ++i) {
        lo_v = std::min(lo_v, v[i]);
        hi_v = std::max(hi_v, v[i]);
      }
      float d = (hi_v - lo_v) / 15.0f, inv = d ? 1.0f / d : 0.0f;
      put_half(b, d);
      put_half(b + 2, lo_v);
      for (int i = 0; i < 16; ++i) {
        int lo = std::clamp(static_cast<int>(std::lround((v[i] - lo_v) * inv)), 0, 15);
        int hi = std::clamp(static_cast<int>(std::lround((v[i + 16] - lo_v) * inv)), 0, 15);
        b[4 + i] = static_cast<uint8_t>(lo | (hi << 4));
      }
    }
  }
  return out;
}

}  // namespace facet
