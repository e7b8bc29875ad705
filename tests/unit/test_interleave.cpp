// Row layouts (graph/interleave.hpp): every texel lands where the texel kernels look for it, the
// last group is padded with zeros, padded blocks start on texels, split runs put heads before
// quants, and producing the layout in pieces gives the same bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "graph/interleave.hpp"
#include "util/error.hpp"

namespace facet {
namespace {

TEST(Interleave, TexelsOfAGroupsRowsAlternate) {
  const uint64_t rows = 13, row_bytes = 48, group = 4;  // 3 texels per row; the last group has 1 row
  std::vector<uint8_t> plain(rows * row_bytes);
  std::iota(plain.begin(), plain.end(), uint8_t{1});
  ByteReader read = [&](uint64_t off, uint64_t n, void* dst) {
    ASSERT_LE(off + n, plain.size());
    std::memcpy(dst, plain.data() + off, n);
  };
  const RowInterleave layout{rows, row_bytes, RowLayout{group}};
  ASSERT_EQ(layout.groups(), 4u);
  ASSERT_EQ(layout.bytes(), 4 * group * row_bytes);
  std::vector<uint8_t> packed(layout.bytes());
  interleave_rows(layout, read, 0, layout.groups(), packed.data());
  const uint64_t texels = row_bytes / 16;
  for (uint64_t r = 0; r < 16; ++r)
    for (uint64_t t = 0; t < texels; ++t) {
      const uint8_t* got = &packed[(((r / group) * texels + t) * group + r % group) * 16];
      for (int b = 0; b < 16; ++b)
        ASSERT_EQ(got[b], r < rows ? plain[r * row_bytes + t * 16 + b] : 0) << "row " << r << " texel " << t;
    }
  // Group by group gives the same bytes.
  std::vector<uint8_t> pieces(layout.bytes());
  for (uint64_t g = 0; g < layout.groups(); ++g) interleave_rows(layout, read, g, 1, pieces.data() + g * layout.group_bytes());
  EXPECT_EQ(pieces, packed);
}

// Q6_K's layout: 210-byte blocks padded to 224 (14 texels) with zeros, then interleaved.
TEST(Interleave, PaddedBlocksStartOnTexels) {
  const uint64_t rows = 5, blocks = 3, row_bytes = blocks * 210, group = 2;
  std::vector<uint8_t> plain(rows * row_bytes);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(1 + i % 251);
  ByteReader read = [&](uint64_t off, uint64_t n, void* dst) {
    ASSERT_LE(off + n, plain.size());
    std::memcpy(dst, plain.data() + off, n);
  };
  const RowInterleave layout{rows, row_bytes, RowLayout{group, 210, 224}};
  ASSERT_EQ(layout.padded_row_bytes(), blocks * 224);
  ASSERT_EQ(layout.bytes(), 3 * group * blocks * 224);
  std::vector<uint8_t> packed(layout.bytes());
  interleave_rows(layout, read, 0, layout.groups(), packed.data());
  const uint64_t texels = layout.padded_row_bytes() / 16;
  for (uint64_t r = 0; r < 6; ++r)
    for (uint64_t t = 0; t < texels; ++t)
      for (uint64_t k = 0; k < 16; ++k) {
        const uint64_t byte = t * 16 + k, block = byte / 224, in_block = byte % 224;
        const uint8_t want = r < rows && in_block < 210 ? plain[r * row_bytes + block * 210 + in_block] : 0;
        ASSERT_EQ(packed[(((r / group) * texels + t) * group + r % group) * 16 + k], want) << "row " << r << " byte " << byte;
      }
  // Plain rows of padded blocks (G = 1) are the same bytes row after row.
  const RowInterleave rows_only{rows, row_bytes, RowLayout{1, 210, 224}};
  std::vector<uint8_t> flat(rows_only.bytes());
  interleave_rows(rows_only, read, 0, rows_only.groups(), flat.data());
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t b = 0; b < blocks; ++b)
      ASSERT_EQ(0, std::memcmp(&flat[r * blocks * 224 + b * 224], &plain[r * row_bytes + b * 210], 210)) << r << " " << b;
}

// Q8_0's layout: each run of 8 blocks is its 8 scales (one texel), then its 8 x 32 quants.
TEST(Interleave, SplitRunsPutHeadsBeforeQuants) {
  const uint64_t rows = 3, runs = 2, row_bytes = runs * 8 * 34, group = 2;
  std::vector<uint8_t> plain(rows * row_bytes);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(1 + i % 253);
  ByteReader read = [&](uint64_t off, uint64_t n, void* dst) {
    ASSERT_LE(off + n, plain.size());
    std::memcpy(dst, plain.data() + off, n);
  };
  const RowInterleave layout{rows, row_bytes, RowLayout{group, 34, 34, 2, 8}};
  ASSERT_EQ(layout.padded_row_bytes(), row_bytes);  // no bytes added
  std::vector<uint8_t> packed(layout.bytes());
  interleave_rows(layout, read, 0, layout.groups(), packed.data());
  const uint64_t texels = row_bytes / 16;
  auto at = [&](uint64_t r, uint64_t byte) { return packed[(((r / group) * texels + byte / 16) * group + r % group) * 16 + byte % 16]; };
  for (uint64_t r = 0; r < 4; ++r)
    for (uint64_t b = 0; b < runs * 8; ++b) {
      const uint64_t run = b / 8 * 272, i = b % 8;
      for (uint64_t k = 0; k < 34; ++k) {
        const uint64_t to = run + (k < 2 ? i * 2 + k : 16 + i * 32 + (k - 2));
        ASSERT_EQ(at(r, to), r < rows ? plain[r * row_bytes + b * 34 + k] : 0) << "row " << r << " block " << b << " byte " << k;
      }
    }
}

TEST(Interleave, RowsOfPartialTexelsAreRefused) {
  std::vector<uint8_t> out(64);
  ByteReader read = [](uint64_t, uint64_t, void*) {};
  EXPECT_THROW(interleave_rows(RowInterleave{2, 24, RowLayout{2}}, read, 0, 1, out.data()), InternalError);
  EXPECT_THROW(interleave_rows(RowInterleave{2, 32, RowLayout{0}}, read, 0, 1, out.data()), InternalError);
  EXPECT_THROW(interleave_rows(RowInterleave{2, 420, RowLayout{2, 210, 216}}, read, 0, 1, out.data()), InternalError);
  EXPECT_THROW(interleave_rows(RowInterleave{2, 420, RowLayout{2, 210, 200}}, read, 0, 1, out.data()), InternalError);
  std::vector<uint8_t> big(2 * 8 * 34 * 2);
  EXPECT_THROW(interleave_rows(RowInterleave{2, 7 * 34, RowLayout{2, 34, 34, 2, 7}}, read, 0, 1, big.data()), InternalError);  // heads of 14 bytes
  EXPECT_THROW(interleave_rows(RowInterleave{2, 4 * 34, RowLayout{2, 34, 34, 2, 8}}, read, 0, 1, big.data()), InternalError);  // half a run
  EXPECT_THROW(interleave_rows(RowInterleave{2, 8 * 34, RowLayout{2, 34, 48, 2, 8}}, read, 0, 1, big.data()), InternalError);  // padded and split
  EXPECT_THROW(interleave_rows(RowInterleave{2, 8 * 20, RowLayout{2, 20, 20, 2, 8}}, read, 0, 1, big.data()), InternalError);  // quants of 18 bytes
}

}  // namespace
}  // namespace facet
