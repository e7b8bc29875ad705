// Row layouts: how a constant matrix is laid out for the texel-buffer matmul kernels of CPU
// devices.
//
// Interleaved rows. On lavapipe a texel fetch by the 8 lanes of a subgroup is 8 separate 16-byte
// loads; when each lane streams its own weight row, a subgroup keeps 8 (or 32, with 4 rows per
// lane) memory streams open and the fetches stall on them (5-6 GB/s measured); when the 8 lanes
// read 8 adjacent texels, each fetch is one contiguous 128-byte run (17-19 GB/s). So for a weight
// of rows of R bytes (R a multiple of 16) the rows are taken in groups of G and, inside a group,
// their 16-byte texels alternate:
//   texel t of row r  ->  texel ((r / G) * T + t) * G + r % G,   T = R / 16,
// and the last group is padded with zero rows. Lane l of a subgroup that reads row g * G + l then
// fetches texel ((g * T + t) * G + l): adjacent lanes, adjacent texels.
//
// Padded blocks. A block type whose block is not whole texels (Q6_K: 210 bytes) has each block
// padded with zeros to a stride of whole texels (224), so every block starts on a texel and its
// fields sit at the same texel offsets in every block; R is then the padded row.
//
// Split runs. A block type whose block is a small head (its scales) and whole texels of quants
// (Q8_0: 2 + 32 bytes, Q4_0: 2 + 16, Q4_1: 4 + 16) has each run of `run` consecutive blocks of a
// row rearranged as the run's heads, then the run's quants:
//   block i of a run (H-byte head, B-byte block)  ->  head at i * H, quants at run * H + i * (B - H)
// so with runs of 8 the heads fill whole texels and each block's quants start on a texel, at
// no cost in bytes (8 Q8_0 blocks: 1 texel of scales + 16 texels of quants = 272 bytes).
//
// The bytes are the weight's own; only their place changes.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace facet {

// The layout a kernel asks for one constant (Launch::layouts); the default is plain rows.
struct RowLayout {
  uint32_t group = 1;         // rows per interleave group (1: not interleaved)
  uint32_t block_bytes = 0;   // blocks of this size are padded (0: not padded)
  uint32_t block_stride = 0;  // to this size, a multiple of 16 (== block_bytes: not padded)
  uint32_t head_bytes = 0;    // split runs: bytes of each block's head (0: no runs)
  uint32_t run = 0;           // blocks per run
  bool plain() const { return group <= 1 && block_bytes == 0; }
  auto operator<=>(const RowLayout&) const = default;
};

struct RowInterleave {
  uint64_t rows = 0;
  uint64_t row_bytes = 0;  // of a plain row
  RowLayout layout;

  // A row as laid out (blocks padded, runs split): a multiple of 16 bytes.
  uint64_t padded_row_bytes() const {
    return layout.block_bytes ? row_bytes / layout.block_bytes * layout.block_stride : row_bytes;
  }
  uint64_t groups() const { return (rows + layout.group - 1) / layout.group; }
  uint64_t group_bytes() const { return padded_row_bytes() * layout.group; }
  uint64_t bytes() const { return groups() * group_bytes(); }
};

// Reads bytes [offset, offset + n) of the plain row-major matrix into dst.
using ByteReader = std::function<void(uint64_t offset, uint64_t n, void* dst)>;

// Writes groups [first, first + count) of the layout to dst (count * group_bytes()); throws
// InternalError on a layout that is not whole texels.
void interleave_rows(const RowInterleave& layout, const ByteReader& read, uint64_t first, uint64_t count, uint8_t* dst);

}  // namespace facet
