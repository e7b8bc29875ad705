// NPY arrays (numpy's .npy format, versions 1-3): read little-endian f32/f16/i32 C-order arrays
// of rank <= 4; write f32.
#pragma once

#include <string>

#include "graph/host_tensor.hpp"
#include "io/mapped_file.hpp"

namespace facet::io {

HostTensor read_npy(const std::string& path);           // throws InputError naming the file
HostTensor parse_npy(const MappedFile& file);           // the same for bytes in memory (fuzzing)
TensorDesc read_npy_desc(const std::string& path);      // header only
void write_npy(const std::string& path, const HostTensor& tensor);  // f32 tensors

}  // namespace facet::io
