// Writes GGUF v3 files for tests and test-model tools (Facet itself only reads GGUF). Metadata in
// insertion order; tensors laid out in insertion order, each aligned to 32 bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace facet::test {

// Little-endian byte builder, also used directly by malformed-input tests.
struct GgufBytes {
  std::vector<uint8_t> b;
  template <typename T>
  GgufBytes& pod(T v) {
    uint8_t tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));
    b.insert(b.end(), tmp, tmp + sizeof(T));
    return *this;
  }
  GgufBytes& u32(uint32_t v) { return pod(v); }
  GgufBytes& u64(uint64_t v) { return pod(v); }
  GgufBytes& str(const std::string& s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  void pad(uint64_t alignment) {
    while (b.size() % alignment) b.push_back(0);
  }
};

enum GgufValueType : uint32_t {
  kGgufU8 = 0, kGgufI8 = 1, kGgufU16 = 2, kGgufI16 = 3, kGgufU32 = 4, kGgufI32 = 5, kGgufF32 = 6, kGgufBool = 7,
  kGgufString = 8, kGgufArray = 9, kGgufU64 = 10, kGgufI64 = 11, kGgufF64 = 12,
};

class GgufWriter {
 public:
  void add_string(const std::string& key, const std::string& v) { kv(key, kGgufString).str(v); }
  void add_u32(const std::string& key, uint32_t v) { kv(key, kGgufU32).u32(v); }
  void add_i32(const std::string& key, int32_t v) { kv(key, kGgufI32).pod(v); }
  void add_f32(const std::string& key, float v) { kv(key, kGgufF32).pod(v); }
  void add_bool(const std::string& key, bool v) { kv(key, kGgufBool).pod(uint8_t(v ? 1 : 0)); }
  void add_strings(const std::string& key, const std::vector<std::string>& v) {
    kv(key, kGgufArray).u32(kGgufString).u64(v.size());
    for (const auto& s : v) meta_.str(s);
  }
  void add_f32s(const std::string& key, const std::vector<float>& v) {
    kv(key, kGgufArray).u32(kGgufF32).u64(v.size());
    for (float f : v) meta_.pod(f);
  }
  void add_i32s(const std::string& key, const std::vector<int32_t>& v) {
    kv(key, kGgufArray).u32(kGgufI32).u64(v.size());
    for (int32_t x : v) meta_.pod(x);
  }
  // `ne` innermost first (ggml order); `data` already in the type's layout.
  void add_tensor(const std::string& name, uint32_t ggml_type, const std::vector<uint64_t>& ne, std::vector<uint8_t> data) {
    tensors_.push_back({name, ggml_type, ne, std::move(data)});
  }

  std::vector<uint8_t> bytes(uint32_t version = 3) const {
    const uint64_t alignment = 32;
    GgufBytes out;
    out.u32(0x46554747).u32(version).u64(tensors_.size()).u64(n_kv_);
    out.b.insert(out.b.end(), meta_.b.begin(), meta_.b.end());
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
      out.str(t.name).u32(static_cast<uint32_t>(t.ne.size()));
      for (uint64_t n : t.ne) out.u64(n);
      out.u32(t.type).u64(offset);
      offset += (t.data.size() + alignment - 1) / alignment * alignment;
    }
    out.pad(alignment);
    for (const auto& t : tensors_) {
      out.b.insert(out.b.end(), t.data.begin(), t.data.end());
      out.pad(alignment);
    }
    return out.b;
  }
  void write(const std::string& path, uint32_t version = 3) const {
    auto data = bytes(version);
    std::ofstream f(path, std::ios::binary);
    if (!f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size())))
      throw std::runtime_error("cannot write " + path);
  }

 private:
  struct Tensor {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> ne;
    std::vector<uint8_t> data;
  };
  GgufBytes& kv(const std::string& key, uint32_t type) {
    ++n_kv_;
    meta_.str(key).u32(type);
    return meta_;
  }
  GgufBytes meta_;
  uint64_t n_kv_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace facet::test
