// libFuzzer target for the tokenizer.json loader, with the Unigram model and the Precompiled
// normalizer's charsmap parser in mind. An input starting with the byte 'C' is a raw
// precompiled_charsmap (after that byte), run over a fixed text; any other input is a whole
// tokenizer.json, loaded, then used to encode and decode a short text. Bad input must end in
// facet::InputError; anything else (a crash, another exception, a sanitizer report) is a bug.
// Built as `fuzz_tokenizer_json` with -DFACET_FUZZ=ON (clang), and always as
// `fuzz_tokenizer_json_replay`, which runs the seed corpus in ctest (replay_main.cpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text/precompiled_charsmap.hpp"
#include "text/tokenizer.hpp"
#include "text/unicode.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const std::string_view text = "Hello \xEF\xBD\x97orld  <s> e\xCC\x81\r\n\xEF\xBD\xB6 123 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD";
  try {
    if (!bytes.empty() && bytes[0] == 'C') {
      facet::text::PrecompiledCharsmap map(bytes.substr(1), "fuzz charsmap");
      map.normalize(facet::text::decode_utf8(text));
      return 0;
    }
    auto tok = facet::text::Tokenizer::from_json(bytes, "fuzz.json");
    facet::text::EncodeOptions options;
    auto ids = tok.encode(text, options);
    options.parse_special = true;
    options.add_special = false;
    ids = tok.encode(text, options);
    tok.decode(ids, false);
  } catch (const facet::InputError&) {
  }
  return 0;
}
