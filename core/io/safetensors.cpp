#include "io/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>

#include "util/error.hpp"

namespace facet::io {

namespace {

constexpr uint64_t kMaxHeader = 100ull * 1000 * 1000;

struct DtypeSpec {
  const char* name;
  uint32_t size;
  std::optional<DType> dtype;
};
constexpr DtypeSpec kDtypes[] = {
    {"F32", 4, DType::F32}, {"F16", 2, DType::F16},   {"BF16", 2, DType::BF16}, {"I32", 4, DType::I32},
    {"F64", 8, std::nullopt}, {"I64", 8, std::nullopt}, {"U64", 8, std::nullopt}, {"U32", 4, std::nullopt},
    {"I16", 2, std::nullopt}, {"U16", 2, std::nullopt}, {"I8", 1, std::nullopt},  {"U8", 1, std::nullopt},
    {"BOOL", 1, std::nullopt}, {"F8_E4M3", 1, std::nullopt}, {"F8_E5M2", 1, std::nullopt},
};

}  // namespace

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  return parse(MappedFile::open(path));
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::parse(std::shared_ptr<const MappedFile> file) {
  const std::string& path = file->path();
  auto fail = [&](const std::string& why) { return InputError("safetensors file '" + path + "': " + why); };
  if (file->size() < 8) throw fail("truncated: " + std::to_string(file->size()) + " bytes, no header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | file->data()[i];
  if (header_len > kMaxHeader) throw fail("header of " + std::to_string(header_len) + " bytes exceeds the 100 MB limit");
  if (header_len > file->size() - 8)
    throw fail("truncated: header says " + std::to_string(header_len) + " bytes, file has " + std::to_string(file->size()));
  const uint64_t data_begin = 8 + header_len;
  const uint64_t data_size = file->size() - data_begin;

  // Parse with a callback that sees every key: nlohmann keeps the last duplicate silently.
  std::string duplicate;
  std::set<std::string> top_keys;
  auto cb = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1) {
      std::string k = parsed.get<std::string>();
      if (!top_keys.insert(k).second && duplicate.empty()) duplicate = k;
    }
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(file->data()) + 8,
                                   reinterpret_cast<const char*>(file->data()) + data_begin, cb);
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) throw fail("duplicate tensor name '" + duplicate + "' in the header");
  if (!header.is_object()) throw fail("header is not a JSON object");

  auto st = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
  st->file_ = file;
  std::vector<std::pair<uint64_t, std::string>> ranges;  // (begin, name)
  for (auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw fail("__metadata__ is not an object");
      for (auto& [k, v] : entry.items())
        if (v.is_string()) st->metadata_[k] = v.get<std::string>();
      continue;
    }
    auto bad = [&](const std::string& why) { return fail("tensor '" + name + "': " + why); };
    if (!entry.is_object()) throw bad("entry is not an object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) throw bad("missing dtype");
    if (!entry.contains("shape") || !entry["shape"].is_array()) throw bad("missing shape");
    if (!entry.contains("data_offsets") || !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2)
      throw bad("missing data_offsets [begin, end]");
    SafetensorsEntry e;
    e.dtype_name = entry["dtype"].get<std::string>();
    const DtypeSpec* spec = nullptr;
    for (const auto& d : kDtypes)
      if (e.dtype_name == d.name) spec = &d;
    if (!spec) throw bad("unknown dtype '" + e.dtype_name + "'");
    e.dtype = spec->dtype;
    uint64_t elems = 1;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) throw bad("shape holds a value that is not a non-negative integer");
      uint64_t v = d.get<uint64_t>();
      if (v > static_cast<uint64_t>(INT64_MAX) || (v != 0 && elems > UINT64_MAX / v)) throw bad("element count overflows");
      elems *= v;
      e.shape.push_back(static_cast<int64_t>(v));
    }
    if (e.shape.size() > 8) throw bad("rank " + std::to_string(e.shape.size()) + " is too large");
    if (elems > UINT64_MAX / spec->size) throw bad("byte size overflows");
    const auto& off = entry["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) throw bad("data_offsets are not non-negative integers");
    uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (end < begin) throw bad("data_offsets end before begin");
    if (end > data_size)
      throw bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] reach past the end of the data (" +
                std::to_string(data_size) + " bytes; file truncated?)");
    if (end - begin != elems * spec->size)
      throw bad("holds " + std::to_string(end - begin) + " bytes but shape x dtype needs " + std::to_string(elems * spec->size));
    e.offset = data_begin + begin;
    e.bytes = end - begin;
    ranges.emplace_back(begin, name);
    st->tensors_.emplace(name, std::move(e));
  }
  // Ranges must tile the data buffer exactly: sorted, each starting where the previous ended.
  std::sort(ranges.begin(), ranges.end());
  uint64_t expect = 0;
  for (const auto& [begin, name] : ranges) {
    const auto& e = st->tensors_.at(name);
    if (begin < expect) throw fail("tensor '" + name + "' overlaps the previous tensor's bytes");
    if (begin > expect) throw fail("gap of " + std::to_string(begin - expect) + " bytes before tensor '" + name + "'");
    expect = begin + e.bytes;
  }
  if (expect != data_size)
    throw fail(std::to_string(data_size - expect) + " bytes after the last tensor are not described by the header");
  return st;
}

}  // namespace facet::io
