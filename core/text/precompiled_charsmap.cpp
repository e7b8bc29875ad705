#include "text/precompiled_charsmap.hpp"

#include "text/grapheme.hpp"
#include "text/unicode.hpp"
#include "util/error.hpp"

namespace facet::text {

namespace {

// darts-clone unit layout.
bool has_leaf(uint32_t u) { return (u >> 8) & 1; }
uint32_t value(uint32_t u) { return u & 0x7FFFFFFFu; }
uint32_t label(uint32_t u) { return u & 0x800000FFu; }
uint32_t offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

uint32_t read_le32(std::string_view b, size_t at) {
  return uint32_t(uint8_t(b[at])) | uint32_t(uint8_t(b[at + 1])) << 8 | uint32_t(uint8_t(b[at + 2])) << 16 |
         uint32_t(uint8_t(b[at + 3])) << 24;
}

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view bytes, std::string where) : where_(std::move(where)) {
  if (bytes.size() < 4)
    throw InputError(where_ + ": precompiled_charsmap is truncated (" + std::to_string(bytes.size()) + " bytes)");
  uint32_t trie_bytes = read_le32(bytes, 0);
  if (trie_bytes % 4 != 0 || trie_bytes == 0)
    throw InputError(where_ + ": precompiled_charsmap trie size " + std::to_string(trie_bytes) +
                     " is not a positive multiple of 4");
  if (trie_bytes > bytes.size() - 4)
    throw InputError(where_ + ": precompiled_charsmap is truncated: its trie needs " + std::to_string(trie_bytes) +
                     " bytes, " + std::to_string(bytes.size() - 4) + " follow");
  units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < units_.size(); ++i) units_[i] = read_le32(bytes, 4 + 4 * i);
  pool_ = std::string(bytes.substr(4 + trie_bytes));
  if (!valid_utf8(pool_)) throw InputError(where_ + ": precompiled_charsmap strings are not valid UTF-8");
}

std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view chunk) const {
  // The first (shortest) key on the walk wins.
  size_t pos = offset(units_[0]);
  for (char ch : chunk) {
    uint8_t c = static_cast<uint8_t>(ch);
    if (c == 0) break;
    pos ^= c;
    if (pos >= units_.size() || label(units_[pos]) != c) return std::nullopt;
    uint32_t unit = units_[pos];
    pos ^= offset(unit);
    if (!has_leaf(unit)) continue;
    if (pos >= units_.size()) break;
    size_t at = value(units_[pos]);
    size_t end = at < pool_.size() ? pool_.find('\0', at) : std::string::npos;
    if (at >= pool_.size()) throw InputError(where_ + ": precompiled_charsmap entry points past its strings");
    std::string_view out(pool_.data() + at, (end == std::string::npos ? pool_.size() : end) - at);
    if (!valid_utf8(out)) throw InputError(where_ + ": precompiled_charsmap entry starts inside a character");
    return out;
  }
  return std::nullopt;
}

std::u32string PrecompiledCharsmap::normalize(std::u32string_view text) const {
  std::string out, piece;
  for (size_t i = 0; i < text.size();) {
    size_t end = grapheme_end(text, i);
    piece.clear();
    for (size_t k = i; k < end; ++k) append_utf8(piece, text[k]);
    std::optional<std::string_view> whole;
    if (piece.size() < 6) whole = transform(piece);
    if (whole) {
      out += *whole;
    } else {
      for (size_t k = i; k < end; ++k) {
        std::string one;
        append_utf8(one, text[k]);
        auto rep = transform(one);
        out += rep ? std::string(*rep) : one;
      }
    }
    i = end;
  }
  return decode_utf8(out, "a precompiled_charsmap replacement");
}

}  // namespace facet::text
