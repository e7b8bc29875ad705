// Standard base64 (RFC 4648 alphabet, "=" padding required, no whitespace), as the binary
// fields of JSON files such as tokenizer.json's precompiled_charsmap carry it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace facet {

// Throws InputError("<what>: ...") naming the first offending character.
std::string base64_decode(std::string_view text, const std::string& what);
// The padded encoding of `size` bytes.
std::string base64_encode(const void* data, size_t size);

}  // namespace facet
