#include "graph/interleave.hpp"

#include <cstring>
#include <vector>

#include "util/error.hpp"

namespace facet {

void interleave_rows(const RowInterleave& layout, const ByteReader& read, uint64_t first, uint64_t count, uint8_t* dst) {
  const RowLayout& l = layout.layout;
  const bool runs = l.head_bytes != 0;
  if (l.block_bytes && !runs && (l.block_stride < l.block_bytes || l.block_stride % 16 != 0 || layout.row_bytes % l.block_bytes != 0))
    throw InternalError("padded blocks need rows of whole blocks and a stride of whole texels, at least a block");
  if (runs && (l.block_stride != l.block_bytes || l.head_bytes >= l.block_bytes || l.run == 0 ||
               layout.row_bytes % (static_cast<uint64_t>(l.block_bytes) * l.run) != 0 || l.head_bytes * l.run % 16 != 0 ||
               (l.block_bytes - l.head_bytes) % 16 != 0))
    throw InternalError("split runs need rows of whole runs, unpadded blocks, heads filling whole texels and quants of whole texels");
  const uint64_t row = layout.padded_row_bytes(), g = l.group;
  if (g == 0 || row == 0 || row % 16 != 0)
    throw InternalError("row layouts need a group and rows of whole 16-byte texels");
  const uint64_t texels = row / 16, blocks = l.block_bytes ? layout.row_bytes / l.block_bytes : 0;
  std::vector<uint8_t> plain(layout.row_bytes * g), padded(l.block_bytes ? row * g : 0);
  const uint8_t* src = l.block_bytes ? padded.data() : plain.data();
  for (uint64_t grp = first; grp < first + count; ++grp) {
    const uint64_t row0 = grp * g, rows = row0 < layout.rows ? std::min<uint64_t>(g, layout.rows - row0) : 0;
    if (rows < g) std::memset(plain.data(), 0, plain.size());  // padding rows of the last group
    if (rows) read(row0 * layout.row_bytes, rows * layout.row_bytes, plain.data());
    for (uint64_t r = 0; r < g && l.block_bytes; ++r)  // block tails stay zero
      for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t* block = plain.data() + r * layout.row_bytes + b * l.block_bytes;
        uint8_t* to = padded.data() + r * row;
        if (!runs) {
          std::memcpy(to + b * l.block_stride, block, l.block_bytes);
          continue;
        }
        const uint64_t first = b / l.run * l.run * l.block_bytes, i = b % l.run, quants = l.block_bytes - l.head_bytes;
        std::memcpy(to + first + i * l.head_bytes, block, l.head_bytes);
        std::memcpy(to + first + l.run * l.head_bytes + i * quants, block + l.head_bytes, quants);
      }
    uint8_t* out = dst + (grp - first) * layout.group_bytes();
    for (uint64_t t = 0; t < texels; ++t)
      for (uint64_t r = 0; r < g; ++r) std::memcpy(out + (t * g + r) * 16, src + r * row + t * 16, 16);
  }
}

}  // namespace facet
