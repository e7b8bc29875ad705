// A read-only memory mapping of a whole file (RAII). Shared via shared_ptr so that tensors
// pointing into it keep it alive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace facet::io {

class MappedFile {
 public:
  // Throws InputError naming the path when the file cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  // Wraps bytes already in memory (tests, fuzzing); `label` stands in for the path in errors.
  static std::shared_ptr<const MappedFile> from_bytes(const std::string& label, std::vector<uint8_t> bytes);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> owned_;
};

}  // namespace facet::io
