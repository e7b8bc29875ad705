// SentencePiece's precompiled_charsmap (the "Precompiled" normalizer of tokenizer.json, base64 in
// the file): a little-endian u32 byte count, a darts-clone double-array trie of that many bytes
// whose keys are UTF-8 sequences, then a pool of NUL-terminated replacement strings the trie's
// values point into. Normalization works as Hugging Face's Precompiled normalizer: each extended
// grapheme cluster shorter than 6 bytes is looked up as a whole first; otherwise, or when it
// has no entry, each code point is looked up alone. A lookup takes the SHORTEST key that is a
// prefix of the chunk and replaces the whole chunk with that key's string (so a cluster whose
// first character has an entry becomes that character's replacement), as SentencePiece's
// converted normalizers do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facet::text {

class PrecompiledCharsmap {
 public:
  // `bytes` is the decoded charsmap; `where` names it in errors (InputError for a truncated or
  // inconsistent map, also when a lookup later reaches an entry outside the strings).
  PrecompiledCharsmap(std::string_view bytes, std::string where);

  // The replacement of `chunk` (UTF-8), or nullopt when no key is a prefix of it.
  std::optional<std::string_view> transform(std::string_view chunk) const;
  std::u32string normalize(std::u32string_view text) const;

 private:
  std::vector<uint32_t> units_;
  std::string pool_;
  std::string where_;
};

}  // namespace facet::text
