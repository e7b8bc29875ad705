// Element types, including GGUF's block-quantized layouts (blocks run along the innermost dim).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace facet {

enum class DType : uint8_t { F32 = 0, F16 = 1, BF16 = 2, I32 = 3, Q8_0 = 4, Q4_0 = 5, Q4_1 = 6, Q4_K = 7, Q6_K = 8 };

struct DTypeInfo {
  std::string_view name;
  uint32_t block_elems;  // elements per block (1 for plain types)
  uint32_t block_bytes;  // bytes per block
};

const DTypeInfo& dtype_info(DType t);
inline std::string_view dtype_name(DType t) { return dtype_info(t).name; }
inline bool is_quantized(DType t) { return dtype_info(t).block_elems > 1; }
std::optional<DType> dtype_from_name(std::string_view name);

}  // namespace facet
