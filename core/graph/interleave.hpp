// Interleaved rows: how a constant matrix is laid out for the texel-buffer matmul kernels of CPU
// devices. On lavapipe a texel fetch by the 8 lanes of a subgroup is 8 separate 16-byte loads;
// when each lane streams its own weight row, a subgroup keeps 8 (or 32, with 4 rows per lane)
// memory streams open and the fetches stall on them (5-6 GB/s measured); when the 8 lanes read 8
// adjacent texels, each fetch is one contiguous 128-byte run (17-19 GB/s). So for a weight
// [rows, row_bytes] (row_bytes a multiple of 16) the rows are taken in groups of G and, inside
// a group, their 16-byte texels alternate:
//   texel t of row r  ->  texel ((r / G) * T + t) * G + r % G,   T = row_bytes / 16,
// and the last group is padded with zero rows. Lane l of a subgroup that reads row g * G + l then
// fetches texel ((g * T + t) * G + l): adjacent lanes, adjacent texels. The bytes are the weight's
// own (raw GGUF blocks stay blocks); only their order changes.
#pragma once

#include <cstdint>
#include <functional>

namespace facet {

struct RowInterleave {
  uint64_t rows = 0;
  uint64_t row_bytes = 0;  // a multiple of 16
  uint32_t group = 0;      // G

  uint64_t groups() const { return (rows + group - 1) / group; }
  uint64_t group_bytes() const { return row_bytes * group; }
  uint64_t bytes() const { return groups() * group_bytes(); }
};

// Reads bytes [offset, offset + n) of the plain row-major matrix into dst.
using ByteReader = std::function<void(uint64_t offset, uint64_t n, void* dst)>;

// Writes groups [first, first + count) of the interleaved layout to dst (count * group_bytes()).
void interleave_rows(const RowInterleave& layout, const ByteReader& read, uint64_t first, uint64_t count, uint8_t* dst);

}  // namespace facet
