#include "graph/tensor_desc.hpp"

#include "util/error.hpp"

namespace facet {

TensorDesc::TensorDesc(DType t, std::initializer_list<int64_t> shape) : dtype(t) {
  if (shape.size() > kMaxDims) throw InputError("tensor rank " + std::to_string(shape.size()) + " exceeds 4");
  for (int64_t d : shape) dims[rank++] = d;
}

int64_t TensorDesc::elements() const {
  int64_t n = 1;
  for (uint32_t i = 0; i < rank; ++i) {
    if (dims[i] < 0) throw InputError("negative dimension in " + str());
    if (dims[i] != 0 && n > INT64_MAX / dims[i]) throw InputError("element count overflows in " + str());
    n *= dims[i];
  }
  return n;
}

uint64_t TensorDesc::bytes() const {
  const DTypeInfo& info = dtype_info(dtype);
  int64_t n = elements();
  if (rank > 0 && dims[rank - 1] % info.block_elems != 0)
    throw InputError(std::string("innermost dimension of ") + str() + " is not a multiple of the " +
                     std::string(info.name) + " block size " + std::to_string(info.block_elems));
  uint64_t blocks = static_cast<uint64_t>(n) / info.block_elems;
  if (blocks > UINT64_MAX / info.block_bytes) throw InputError("byte size overflows in " + str());
  return blocks * info.block_bytes;
}

bool TensorDesc::operator==(const TensorDesc& o) const {
  if (dtype != o.dtype || rank != o.rank) return false;
  for (uint32_t i = 0; i < rank; ++i)
    if (dims[i] != o.dims[i]) return false;
  return true;
}

std::string TensorDesc::str() const {
  std::string s = std::string(dtype_name(dtype)) + " [";
  for (uint32_t i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::array<int64_t, kMaxDims> contiguous_strides(const TensorDesc& d) {
  std::array<int64_t, kMaxDims> s{};
  int64_t stride = 1;
  for (int i = static_cast<int>(d.rank) - 1; i >= 0; --i) {
    s[i] = stride;
    stride *= d.dims[i];
  }
  return s;
}

}  // namespace facet
