// Shape + dtype of a tensor, with byte-size arithmetic that refuses overflow.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "graph/dtype.hpp"

namespace facet {

constexpr uint32_t kMaxDims = 4;

struct TensorDesc {
  DType dtype = DType::F32;
  uint32_t rank = 0;
  std::array<int64_t, kMaxDims> dims{};  // outermost first

  TensorDesc() = default;
  TensorDesc(DType t, std::initializer_list<int64_t> shape);

  int64_t dim(int i) const { return dims[i < 0 ? static_cast<int>(rank) + i : i]; }
  int64_t elements() const;  // throws InputError on overflow or negative dims
  uint64_t bytes() const;    // throws InputError on overflow or partial quant blocks
  bool operator==(const TensorDesc& o) const;
  bool operator!=(const TensorDesc& o) const { return !(*this == o); }
  std::string str() const;  // "f32 [4, 16]"
};

// Element strides (row-major, contiguous) of a desc.
std::array<int64_t, kMaxDims> contiguous_strides(const TensorDesc& d);

}  // namespace facet
