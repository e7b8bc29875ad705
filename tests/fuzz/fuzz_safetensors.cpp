// libFuzzer target for the safetensors reader (core/io/safetensors): bytes parse, or InputError.
// A file that parses has every tensor inside the file, no two overlapping, and the byte count of
// its shape and dtype.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "io/safetensors.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facet::io;
  try {
    auto file = MappedFile::from_bytes("fuzz.safetensors", std::vector<uint8_t>(data, data + size));
    auto st = SafetensorsFile::parse(file);
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& [name, e] : st->tensors()) {
      if (e.offset > size || e.bytes > size - e.offset) std::abort();
      if (e.dtype && e.shape.size() <= facet::kMaxDims) {
        facet::TensorDesc d;
        d.dtype = *e.dtype;
        for (int64_t v : e.shape) d.dims[d.rank++] = v;
        if (d.bytes() != e.bytes) std::abort();
      }
      ranges.emplace_back(e.offset, e.offset + e.bytes);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
      if (ranges[i].first < ranges[i - 1].second) std::abort();
  } catch (const facet::InputError&) {
  }
  return 0;
}
