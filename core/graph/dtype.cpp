#include "graph/dtype.hpp"

#include <array>

namespace facet {

namespace {
// Block sizes and byte counts of the GGUF layouts (Q8_0: f16 scale + 32 int8; Q4_0: f16 scale +
// 16 bytes of nibbles; Q4_1: f16 scale + f16 min + 16 bytes; Q4_K / Q6_K: 256-element super-blocks).
constexpr std::array<DTypeInfo, 9> kInfo = {{
    {"f32", 1, 4},
    {"f16", 1, 2},
    {"bf16", 1, 2},
    {"i32", 1, 4},
    {"q8_0", 32, 34},
    {"q4_0", 32, 18},
    {"q4_1", 32, 20},
    {"q4_k", 256, 144},
    {"q6_k", 256, 210},
}};
}  // namespace

const DTypeInfo& dtype_info(DType t) { return kInfo[static_cast<size_t>(t)]; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (size_t i = 0; i < kInfo.size(); ++i)
    if (kInfo[i].name == name) return static_cast<DType>(i);
  return std::nullopt;
}

}  // namespace facet
