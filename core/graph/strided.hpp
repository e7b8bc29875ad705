// Reading a strided view: the one gather loop shared by the executor (reading back views) and
// the CPU references of copy/permute/slice. Shapes are right-aligned to 4 dims.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "graph/tensor_desc.hpp"

namespace facet {

// out[i] = x[offset + sum_d index_d(i) * strides[d]] for every element i of `shape`.
void gather_strided(const std::vector<float>& x, const TensorDesc& shape, const std::array<int64_t, kMaxDims>& strides,
                    int64_t offset, std::vector<float>& out);

}  // namespace facet
