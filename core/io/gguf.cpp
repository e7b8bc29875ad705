#include "io/gguf.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "util/error.hpp"

namespace facet::io {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr int kMaxDepth = 3;             // arrays of arrays of arrays at most

struct GgmlType {
  uint32_t id;
  const char* name;
  uint32_t block_elems, block_bytes;
  std::optional<DType> dtype;
};
// Every ggml type with a stable layout; the ones Facet computes with carry a DType.
constexpr GgmlType kGgmlTypes[] = {
    {0, "F32", 1, 4, DType::F32},       {1, "F16", 1, 2, DType::F16},         {2, "Q4_0", 32, 18, DType::Q4_0},
    {3, "Q4_1", 32, 20, DType::Q4_1},   {6, "Q5_0", 32, 22, std::nullopt},   {7, "Q5_1", 32, 24, std::nullopt},
    {8, "Q8_0", 32, 34, DType::Q8_0},   {9, "Q8_1", 32, 36, std::nullopt},   {10, "Q2_K", 256, 84, std::nullopt},
    {11, "Q3_K", 256, 110, std::nullopt}, {12, "Q4_K", 256, 144, DType::Q4_K}, {13, "Q5_K", 256, 176, std::nullopt},
    {14, "Q6_K", 256, 210, DType::Q6_K}, {15, "Q8_K", 256, 292, std::nullopt}, {16, "IQ2_XXS", 256, 66, std::nullopt},
    {17, "IQ2_XS", 256, 74, std::nullopt}, {18, "IQ3_XXS", 256, 98, std::nullopt}, {19, "IQ1_S", 256, 50, std::nullopt},
    {20, "IQ4_NL", 32, 18, std::nullopt}, {21, "IQ3_S", 256, 110, std::nullopt}, {22, "IQ2_S", 256, 82, std::nullopt},
    {23, "IQ4_XS", 256, 136, std::nullopt}, {24, "I8", 1, 1, std::nullopt},     {25, "I16", 1, 2, std::nullopt},
    {26, "I32", 1, 4, DType::I32},      {27, "I64", 1, 8, std::nullopt},      {28, "F64", 1, 8, std::nullopt},
    {29, "IQ1_M", 256, 56, std::nullopt}, {30, "BF16", 1, 2, DType::BF16},
};

const GgmlType* ggml_type(uint32_t id) {
  for (const auto& t : kGgmlTypes)
    if (t.id == id) return &t;
  return nullptr;
}

// Bytes of one scalar of a metadata type (0 for string/array, which are variable).
uint64_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

const char* type_name(GgufType t) {
  static const char* names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
  auto i = static_cast<uint32_t>(t);
  return i < 13 ? names[i] : "?";
}

// A bounds-checked cursor over the mapping.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t size, const std::string& path) : p_(data), size_(size), path_(path) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }
  InputError fail(const std::string& why) const {
    return InputError("GGUF file '" + path_ + "': " + why + " (at byte " + std::to_string(pos_) + ")");
  }
  void need(uint64_t n, const std::string& what) const {
    if (n > left())
      throw fail("truncated: " + what + " needs " + std::to_string(n) + " bytes, " + std::to_string(left()) + " remain");
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string string(const std::string& what) {
    uint64_t n = read<uint64_t>(what + " length");
    if (n > left()) throw fail(what + " is " + std::to_string(n) + " bytes long, past the end of the file");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  uint64_t size_, pos_ = 0;
  const std::string& path_;
};

GgufValue read_value(Reader& r, GgufType type, const std::string& key, int depth) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufType::U8: v.u = r.read<uint8_t>(key); v.i = static_cast<int64_t>(v.u); break;
    case GgufType::I8: v.i = r.read<int8_t>(key); break;
    case GgufType::U16: v.u = r.read<uint16_t>(key); v.i = static_cast<int64_t>(v.u); break;
    case GgufType::I16: v.i = r.read<int16_t>(key); break;
    case GgufType::U32: v.u = r.read<uint32_t>(key); v.i = static_cast<int64_t>(v.u); break;
    case GgufType::I32: v.i = r.read<int32_t>(key); break;
    case GgufType::U64: v.u = r.read<uint64_t>(key); v.i = static_cast<int64_t>(std::min<uint64_t>(v.u, INT64_MAX)); break;
    case GgufType::I64: v.i = r.read<int64_t>(key); break;
    case GgufType::F32: v.f = r.read<float>(key); break;
    case GgufType::F64: v.f = r.read<double>(key); break;
    case GgufType::Bool: {
      uint8_t b = r.read<uint8_t>(key);
      if (b > 1) throw r.fail("key '" + key + "': bool value " + std::to_string(b) + " is neither 0 nor 1");
      v.i = b;
      break;
    }
    case GgufType::String: v.s = r.string("key '" + key + "' string"); break;
    case GgufType::Array: {
      if (depth >= kMaxDepth) throw r.fail("key '" + key + "': arrays nested deeper than " + std::to_string(kMaxDepth));
      uint32_t et = r.read<uint32_t>("key '" + key + "' array type");
      if (et > 12) throw r.fail("key '" + key + "': unknown array element type " + std::to_string(et));
      v.elem = static_cast<GgufType>(et);
      uint64_t n = r.read<uint64_t>("key '" + key + "' array length");
      // Every element takes at least this many bytes, so the length is checked before reserving.
      uint64_t min_elem = v.elem == GgufType::String || v.elem == GgufType::Array ? 8 : scalar_size(v.elem);
      if (n > r.left() / min_elem)
        throw r.fail("key '" + key + "': array of " + std::to_string(n) + " " + type_name(v.elem) +
                     " elements runs past the end of the file");
      v.items.reserve(static_cast<size_t>(n));
      for (uint64_t k = 0; k < n; ++k) v.items.push_back(read_value(r, v.elem, key, depth + 1));
      break;
    }
    default: throw r.fail("key '" + key + "': unknown value type " + std::to_string(static_cast<uint32_t>(type)));
  }
  return v;
}

nlohmann::json to_json(const GgufValue& v, size_t max_array) {
  switch (v.type) {
    case GgufType::String: return v.s;
    case GgufType::Bool: return v.i != 0;
    case GgufType::F32: case GgufType::F64: return v.f;
    case GgufType::U64: return v.u;
    case GgufType::Array: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : v.items) a.push_back(to_json(item, max_array));
      return a;
    }
    default: return v.i;
  }
}

}  // namespace

bool GgufValue::is_int() const {
  switch (type) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16: case GgufType::U32:
    case GgufType::I32: case GgufType::U64: case GgufType::I64: return true;
    default: return false;
  }
}

TensorDesc GgufTensor::desc() const {
  TensorDesc d;
  d.dtype = *dtype;
  d.rank = static_cast<uint32_t>(ne.size());
  for (size_t k = 0; k < ne.size(); ++k) d.dims[ne.size() - 1 - k] = ne[k];
  return d;
}

uint32_t ggml_type_of(DType dtype) {
  for (const auto& t : kGgmlTypes)
    if (t.dtype == dtype) return t.id;
  throw InternalError("no ggml type for dtype " + std::string(dtype_name(dtype)));
}

bool GgufFile::has_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char m[4] = {};
  return in.read(m, 4) && std::memcmp(m, "GGUF", 4) == 0;
}

std::shared_ptr<const GgufFile> GgufFile::open(const std::string& path) { return parse(MappedFile::open(path)); }

std::shared_ptr<const GgufFile> GgufFile::parse(std::shared_ptr<const MappedFile> file) {
  auto g = std::shared_ptr<GgufFile>(new GgufFile());
  g->file_ = file;
  Reader r(file->data(), file->size(), file->path());
  uint32_t magic = r.read<uint32_t>("magic");
  if (magic != kMagic) throw r.fail("not a GGUF file (the first four bytes are not \"GGUF\")");
  g->version_ = r.read<uint32_t>("version");
  if (g->version_ == 1) throw r.fail("GGUF version 1 (32-bit counts) is obsolete; convert the file again with a current llama.cpp");
  if (g->version_ != 2 && g->version_ != 3) {
    bool swapped = (g->version_ >> 24) == 2 || (g->version_ >> 24) == 3;
    throw r.fail("GGUF version " + std::to_string(g->version_) + " is not supported (2 and 3 are)" +
                 (swapped ? "; this looks like a big-endian file" : ""));
  }
  uint64_t n_tensors = r.read<uint64_t>("tensor count");
  uint64_t n_kv = r.read<uint64_t>("metadata count");
  // A key-value pair takes at least 13 bytes and a tensor description at least 32.
  if (n_kv > r.left() / 13) throw r.fail("metadata count " + std::to_string(n_kv) + " is more than the file could hold");
  if (n_tensors > r.left() / 32) throw r.fail("tensor count " + std::to_string(n_tensors) + " is more than the file could hold");

  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = r.string("metadata key");
    if (key.empty()) throw r.fail("metadata key " + std::to_string(k) + " is empty");
    uint32_t t = r.read<uint32_t>("type of key '" + key + "'");
    if (t > 12) throw r.fail("key '" + key + "' has unknown value type " + std::to_string(t));
    GgufValue v = read_value(r, static_cast<GgufType>(t), key, 0);
    if (!g->metadata_.emplace(key, std::move(v)).second) throw r.fail("metadata key '" + key + "' appears twice");
  }
  if (const GgufValue* a = g->find("general.alignment")) {
    if (!a->is_int() || a->i <= 0 || a->i > (1 << 30) || (a->i & (a->i - 1)) != 0)
      throw r.fail("general.alignment must be a power of two (got " + std::to_string(a->i) + ")");
    g->alignment_ = static_cast<uint64_t>(a->i);
  }

  std::vector<GgufTensor> infos;
  infos.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensor t;
    t.name = r.string("tensor name");
    const std::string what = "tensor '" + t.name + "'";
    uint32_t n_dims = r.read<uint32_t>(what + " n_dims");
    if (n_dims < 1 || n_dims > kMaxDims) throw r.fail(what + " has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    uint64_t elems = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t n = r.read<uint64_t>(what + " dimension");
      if (n == 0) throw r.fail(what + " has a zero dimension");
      if (n > static_cast<uint64_t>(INT64_MAX) / elems)
        throw r.fail(what + ": the element count overflows 64 bits");
      elems *= n;
      t.ne.push_back(static_cast<int64_t>(n));
    }
    t.ggml_type = r.read<uint32_t>(what + " type");
    const GgmlType* gt = ggml_type(t.ggml_type);
    if (!gt) throw r.fail(what + " has unknown ggml type " + std::to_string(t.ggml_type));
    t.type_name = gt->name;
    t.dtype = gt->dtype;
    if (t.ne[0] % gt->block_elems != 0)
      throw r.fail(what + ": rows of " + std::to_string(t.ne[0]) + " elements are not whole " + gt->name + " blocks of " +
                   std::to_string(gt->block_elems));
    uint64_t blocks = elems / gt->block_elems;
    if (blocks > UINT64_MAX / gt->block_bytes) throw r.fail(what + ": the byte size overflows 64 bits");
    t.bytes = blocks * gt->block_bytes;
    t.offset = r.read<uint64_t>(what + " offset");
    if (t.offset % g->alignment_ != 0)
      throw r.fail(what + " offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                   std::to_string(g->alignment_));
    infos.push_back(std::move(t));
  }
  // The data section starts at the next multiple of the alignment.
  const uint64_t data_begin = (r.pos() + g->alignment_ - 1) / g->alignment_ * g->alignment_;
  if (data_begin > file->size() && n_tensors > 0) throw r.fail("truncated: no data section after the tensor descriptions");
  const uint64_t data_size = data_begin > file->size() ? 0 : file->size() - data_begin;
  std::vector<const GgufTensor*> by_offset;
  for (auto& t : infos) {
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      throw InputError("GGUF file '" + file->path() + "': tensor '" + t.name + "' (" + std::to_string(t.bytes) +
                       " bytes at data offset " + std::to_string(t.offset) + ") lies past the end of the file (data section of " +
                       std::to_string(data_size) + " bytes)");
    t.offset += data_begin;
  }
  for (auto& t : infos) {
    std::string name = t.name;
    if (!g->tensors_.emplace(name, std::move(t)).second)
      throw InputError("GGUF file '" + file->path() + "': tensor '" + name + "' appears twice");
  }
  for (const auto& [name, t] : g->tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t k = 1; k < by_offset.size(); ++k)
    if (by_offset[k - 1]->offset + by_offset[k - 1]->bytes > by_offset[k]->offset)
      throw InputError("GGUF file '" + file->path() + "': tensors '" + by_offset[k - 1]->name + "' and '" +
                       by_offset[k]->name + "' overlap");
  return g;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

std::optional<std::string> GgufFile::get_string(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != GgufType::String) throw InputError("GGUF file '" + path() + "': key '" + key + "' is not a string");
  return v->s;
}

std::optional<int64_t> GgufFile::get_int(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_int()) throw InputError("GGUF file '" + path() + "': key '" + key + "' is not an integer");
  return v->i;
}

std::optional<double> GgufFile::get_float(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_int()) return static_cast<double>(v->i);
  if (!v->is_float()) throw InputError("GGUF file '" + path() + "': key '" + key + "' is not a number");
  return v->f;
}

std::optional<bool> GgufFile::get_bool(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != GgufType::Bool) throw InputError("GGUF file '" + path() + "': key '" + key + "' is not a bool");
  return v->i != 0;
}

std::string GgufFile::metadata_json(size_t max_array) const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : metadata_) {
    if (v.type == GgufType::Array && v.items.size() > max_array) continue;
    j[k] = to_json(v, max_array);
  }
  // Invalid UTF-8 in a string value is replaced rather than refused: the JSON is informational.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace facet::io
