// libFuzzer target for the GGUF reader (core/io/gguf): bytes parse, or InputError. A file that
// parses has every tensor's bytes inside the file, and its metadata renders as JSON.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "io/gguf.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facet::io;
  try {
    auto file = MappedFile::from_bytes("fuzz.gguf", std::vector<uint8_t>(data, data + size));
    auto g = GgufFile::parse(file);
    for (const auto& [name, t] : g->tensors())
      if (t.offset > size || t.bytes > size - t.offset) std::abort();
    (void)g->metadata_json(64);
  } catch (const facet::InputError&) {
  }
  return 0;
}
