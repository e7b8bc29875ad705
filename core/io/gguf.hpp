// GGUF reader (versions 2 and 3, little-endian; the format of llama.cpp's ggml). Layout:
//   "GGUF", u32 version, u64 tensor_count, u64 kv_count,
//   kv_count x (string key, u32 value type, value),        strings are u64 length + bytes
//   tensor_count x (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset),
//   padding to general.alignment (default 32), then the tensor data.
// ne[0] is the innermost dimension, so a tensor's TensorDesc lists ne in reverse.
//
// Everything is validated before any tensor is used, against the file size and without
// allocations driven by unchecked counts: magic and version, counts (each entry needs a minimum
// number of bytes, so a count above what the file could hold is refused), string and array
// lengths, nesting depth, duplicate keys and names, n_dims 1..4, dimensions >= 1, element-count
// and byte-size overflow, rows a whole number of blocks, offsets aligned, inside the data section
// and not overlapping, and the ggml type known. The file is memory-mapped.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "graph/tensor_desc.hpp"
#include "io/mapped_file.hpp"

namespace facet::io {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9,
  U64 = 10, I64 = 11, F64 = 12,
};

// One metadata value. Integers are kept in `i` (and `u` for unsigned), floats in `f`.
struct GgufValue {
  GgufType type = GgufType::U8;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string s;
  GgufType elem = GgufType::U8;   // arrays: element type
  std::vector<GgufValue> items;   // arrays
  bool is_int() const;
  bool is_float() const { return type == GgufType::F32 || type == GgufType::F64; }
  bool is_array_of(GgufType t) const { return type == GgufType::Array && elem == t; }
};

struct GgufTensor {
  std::string name;
  uint32_t ggml_type = 0;
  std::string type_name;       // "F16", "Q4_K", ...
  std::optional<DType> dtype;  // unset for ggml types Facet does not compute with
  std::vector<int64_t> ne;     // as stored: ne[0] innermost
  uint64_t offset = 0;         // absolute offset in the file
  uint64_t bytes = 0;
  TensorDesc desc() const;     // dims = ne reversed; dtype must be set
};

class GgufFile {
 public:
  // Throws InputError naming the file (and key or tensor) on any malformed content.
  static std::shared_ptr<const GgufFile> open(const std::string& path);
  static std::shared_ptr<const GgufFile> parse(std::shared_ptr<const MappedFile> file);
  // True when the file starts with the GGUF magic (false when unreadable).
  static bool has_magic(const std::string& path);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;
  const std::map<std::string, GgufTensor>& tensors() const { return tensors_; }
  const std::string& path() const { return file_->path(); }
  const uint8_t* data(const GgufTensor& t) const { return file_->data() + t.offset; }
  std::shared_ptr<const MappedFile> mapping() const { return file_; }

  // Typed lookups: nullopt when absent; InputError naming the key when present with another type.
  std::optional<std::string> get_string(const std::string& key) const;
  std::optional<int64_t> get_int(const std::string& key) const;
  std::optional<double> get_float(const std::string& key) const;  // integers convert
  std::optional<bool> get_bool(const std::string& key) const;

  // The metadata as a JSON object; arrays longer than `max_array` elements are left out (the
  // vocabulary), so that the rest stays small. Plugins read it as the file "gguf.json".
  std::string metadata_json(size_t max_array = 4096) const;

 private:
  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::map<std::string, GgufValue> metadata_;
  std::map<std::string, GgufTensor> tensors_;
};

// ggml type ids of the types Facet computes with, for writers.
uint32_t ggml_type_of(DType dtype);

}  // namespace facet::io
