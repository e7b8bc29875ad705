// Unicode properties and transforms for the tokenizers: general category, White_Space,
// lowercase (full mappings, no context rules, as Rust's char::to_lowercase), canonical
// decomposition and composition (NFD, NFC), and strict UTF-8 conversion. The tables come from
// scripts/gen_unicode_tables.py (Unicode version: unicode_version()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace facet::text {

enum class Category : uint8_t {
  Cn, Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe, Pi, Pf, Po,
  Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co
};

const char* unicode_version();
Category category(char32_t c);
inline bool is_letter(char32_t c) { auto k = category(c); return k >= Category::Lu && k <= Category::Lo; }
inline bool is_mark(char32_t c) { auto k = category(c); return k >= Category::Mn && k <= Category::Me; }
inline bool is_number(char32_t c) { auto k = category(c); return k >= Category::Nd && k <= Category::No; }
inline bool is_punctuation(char32_t c) { auto k = category(c); return k >= Category::Pc && k <= Category::Po; }
inline bool is_symbol(char32_t c) { auto k = category(c); return k >= Category::Sm && k <= Category::So; }
inline bool is_separator(char32_t c) { auto k = category(c); return k >= Category::Zs && k <= Category::Zp; }
inline bool is_other(char32_t c) { auto k = category(c); return k == Category::Cn || k >= Category::Cc; }
// The White_Space property (what `\s` matches in the tokenizers' regular expressions).
bool is_whitespace(char32_t c);
uint8_t combining_class(char32_t c);

void append_lowercase(char32_t c, std::u32string& out);
std::u32string lowercase(std::u32string_view s);
std::u32string nfd(std::u32string_view s);
std::u32string nfc(std::u32string_view s);

// Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF); throws InputError naming
// `what` and the byte offset.
std::u32string decode_utf8(std::string_view s, const char* what = "text");
bool valid_utf8(std::string_view s);
void append_utf8(std::string& out, char32_t c);
std::string encode_utf8(std::u32string_view s);

}  // namespace facet::text
