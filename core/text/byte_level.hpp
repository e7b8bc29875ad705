// GPT-2's reversible byte <-> character alphabet used by byte-level BPE: printable Latin-1
// bytes map to themselves, the other 68 bytes to U+0100 onwards, so every byte string is a
// string of visible characters.
#pragma once

#include <array>
#include <cstdint>

namespace facet::text {

class ByteLevelAlphabet {
 public:
  static const ByteLevelAlphabet& get() {
    static const ByteLevelAlphabet alphabet;
    return alphabet;
  }
  char32_t to_char(uint8_t b) const { return chars_[b]; }
  // The byte of a character of the alphabet, or -1 when the character is not one.
  int to_byte(char32_t c) const { return c < bytes_.size() ? bytes_[c] : -1; }

 private:
  ByteLevelAlphabet() {
    bytes_.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      chars_[b] = printable ? static_cast<char32_t>(b) : next++;
      bytes_[chars_[b]] = static_cast<int16_t>(b);
    }
  }
  std::array<char32_t, 256> chars_{};
  std::array<int16_t, 324> bytes_{};
};

}  // namespace facet::text
