// safetensors reader (https://github.com/huggingface/safetensors format): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then
// the byte buffer. Everything is checked before any tensor is used: header size (<= 100 MB) and
// JSON, duplicate keys, known dtypes, shape x dtype == byte range, ranges inside the buffer, not
// overlapping and without gaps, no size arithmetic overflow. The file is memory-mapped.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/tensor_desc.hpp"
#include "io/mapped_file.hpp"

namespace facet::io {

struct SafetensorsEntry {
  std::string dtype_name;      // as written in the file ("F32", "I64", ...)
  std::optional<DType> dtype;  // unset for dtypes Facet does not compute with (I64, U8, BOOL ...)
  std::vector<int64_t> shape;
  uint64_t offset = 0;         // absolute offset in the file
  uint64_t bytes = 0;
};

class SafetensorsFile {
 public:
  // Throws InputError naming the file (and tensor) on any malformed content.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  // Parses an in-memory file (the fuzz target and tests use it).
  static std::shared_ptr<const SafetensorsFile> parse(std::shared_ptr<const MappedFile> file);

  const std::map<std::string, SafetensorsEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return file_->path(); }
  const uint8_t* data(const SafetensorsEntry& e) const { return file_->data() + e.offset; }
  std::shared_ptr<const MappedFile> mapping() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::map<std::string, SafetensorsEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace facet::io
