// Raw Unicode tables (generated into unicode_data.cpp by scripts/gen_unicode_tables.py, and into
// grapheme_data.cpp by scripts/gen_grapheme_tables.py).
// Use them through text/unicode.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace facet::text::data {

struct Run {  // value applies from `start` up to the next run's start
  uint32_t start;
  uint8_t value;
};
struct Lowercase {
  uint32_t cp;
  uint32_t to[3];  // unused slots are 0
};
struct Decomposition {  // one canonical step; second == 0 for singletons
  uint32_t cp, first, second;
};
struct Composition {  // primary composites, sorted by (first, second)
  uint32_t first, second, composite;
};

extern const char* const kUnicodeVersion;
extern const Run kCategoryRuns[];
extern const size_t kCategoryRunCount;
extern const Run kCombiningClassRuns[];
extern const size_t kCombiningClassRunCount;
extern const Lowercase kLowercase[];
extern const size_t kLowercaseCount;
extern const Decomposition kDecompositions[];
extern const size_t kDecompositionCount;
extern const Composition kCompositions[];
extern const size_t kCompositionCount;

// grapheme_data.cpp (scripts/gen_grapheme_tables.py): Grapheme_Cluster_Break in the low 4 bits,
// 0x10 for Extended_Pictographic.
extern const char* const kGraphemeVersion;
extern const Run kGraphemeRuns[];
extern const size_t kGraphemeRunCount;

}  // namespace facet::text::data
