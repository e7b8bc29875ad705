// Writing a whole file so that it is never seen half-written: the bytes go to "<path>.part", which
// is renamed over `path` once complete. An interrupted or failed write leaves the old file (or
// none), never a truncated one.
#pragma once

#include <cstddef>
#include <string>

namespace facet::io {

// InputError naming `path` when it cannot be written (the ".part" file is removed).
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace facet::io
