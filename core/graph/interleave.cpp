#include "graph/interleave.hpp"

#include <cstring>
#include <vector>

#include "util/error.hpp"

namespace facet {

void interleave_rows(const RowInterleave& layout, const ByteReader& read, uint64_t first, uint64_t count, uint8_t* dst) {
  if (layout.group == 0 || layout.row_bytes == 0 || layout.row_bytes % 16 != 0)
    throw InternalError("interleaved rows need a group and rows of whole 16-byte texels");
  const uint64_t texels = layout.row_bytes / 16, g = layout.group;
  std::vector<uint8_t> plain(layout.group_bytes());
  for (uint64_t grp = first; grp < first + count; ++grp) {
    const uint64_t row0 = grp * g, rows = row0 < layout.rows ? std::min<uint64_t>(g, layout.rows - row0) : 0;
    if (rows < g) std::memset(plain.data(), 0, plain.size());  // padding rows of the last group
    if (rows) read(row0 * layout.row_bytes, rows * layout.row_bytes, plain.data());
    uint8_t* out = dst + (grp - first) * layout.group_bytes();
    for (uint64_t t = 0; t < texels; ++t)
      for (uint64_t r = 0; r < g; ++r) std::memcpy(out + (t * g + r) * 16, plain.data() + r * layout.row_bytes + t * 16, 16);
  }
}

}  // namespace facet
