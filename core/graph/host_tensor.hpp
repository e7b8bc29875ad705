// A tensor in host memory: desc + raw bytes in the desc's dtype, with f32 conversions.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/tensor_desc.hpp"

namespace facet {

struct HostTensor {
  TensorDesc desc;
  std::vector<uint8_t> bytes;

  static HostTensor from_f32(const TensorDesc& desc, const std::vector<float>& values);
  // i32 [values.size()] (token ids, positions).
  static HostTensor from_i32(const std::vector<int32_t>& values);
  std::vector<float> to_f32() const;
};

// Dense float32 values of `count` elements stored as `dtype` at `data`.
std::vector<float> convert_to_f32(DType dtype, const void* data, int64_t count);
// Encodes float32 values as `dtype` (plain types only).
std::vector<uint8_t> convert_from_f32(DType dtype, const float* values, int64_t count);

}  // namespace facet
