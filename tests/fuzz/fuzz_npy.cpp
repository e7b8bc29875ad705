// libFuzzer target for the NPY reader (core/io/npy): bytes parse, or InputError. An array that
// parses has non-negative dimensions and exactly the bytes its shape and dtype need.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "io/npy.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facet::io;
  try {
    auto file = MappedFile::from_bytes("fuzz.npy", std::vector<uint8_t>(data, data + size));
    const facet::HostTensor t = parse_npy(*file);
    for (uint32_t i = 0; i < t.desc.rank; ++i)
      if (t.desc.dims[i] < 0) std::abort();
    if (t.bytes.size() != t.desc.bytes()) std::abort();
  } catch (const facet::InputError&) {
  }
  return 0;
}
