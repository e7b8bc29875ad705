#include "graph/strided.hpp"

namespace facet {

void gather_strided(const std::vector<float>& x, const TensorDesc& shape, const std::array<int64_t, kMaxDims>& strides,
                    int64_t offset, std::vector<float>& out) {
  int64_t dims[4] = {1, 1, 1, 1}, st[4] = {0, 0, 0, 0};
  uint32_t pad = 4 - shape.rank;
  for (uint32_t i = 0; i < shape.rank; ++i) {
    dims[pad + i] = shape.dims[i];
    st[pad + i] = strides[i];
  }
  out.resize(static_cast<size_t>(shape.elements()));
  size_t o = 0;
  for (int64_t a = 0; a < dims[0]; ++a)
    for (int64_t b = 0; b < dims[1]; ++b)
      for (int64_t c = 0; c < dims[2]; ++c)
        for (int64_t d = 0; d < dims[3]; ++d) out[o++] = x[offset + a * st[0] + b * st[1] + c * st[2] + d * st[3]];
}

}  // namespace facet
