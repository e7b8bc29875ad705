// Interleaved rows (graph/interleave.hpp): every texel lands where the texel kernels look for it,
// the last group is padded with zeros, and producing the layout in pieces gives the same bytes.
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
  const RowInterleave layout{rows, row_bytes, group};
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

TEST(Interleave, RowsOfPartialTexelsAreRefused) {
  std::vector<uint8_t> out(64);
  ByteReader read = [](uint64_t, uint64_t, void*) {};
  EXPECT_THROW(interleave_rows(RowInterleave{2, 24, 2}, read, 0, 1, out.data()), InternalError);
  EXPECT_THROW(interleave_rows(RowInterleave{2, 32, 0}, read, 0, 1, out.data()), InternalError);
}

}  // namespace
}  // namespace facet
