// Extended grapheme clusters (Unicode's UAX #29, rules GB3-GB13 without the Unicode 15.1 Indic
// conjunct rule): what a user sees as one character, for example "e" + U+0301, "\r\n", a flag
// (two regional indicators) or an emoji ZWJ sequence. The Precompiled normalizer replaces short
// clusters as a whole, as Hugging Face's does.
#pragma once

#include <cstddef>
#include <string_view>

namespace facet::text {

const char* grapheme_unicode_version();

// The end (exclusive) of the cluster that starts at `begin` (< s.size()).
size_t grapheme_end(std::u32string_view s, size_t begin);

}  // namespace facet::text
