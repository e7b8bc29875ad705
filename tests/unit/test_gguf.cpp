// GGUF: valid files, the malformed-input matrix of the LLM issue, and a mutation fuzz corpus
// (every prefix and thousands of random corruptions of a valid file must be either read or
// refused with InputError — never a crash, a hang or a huge allocation; CI runs this under ASan).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <random>

#include "io/gguf.hpp"
#include "io/weights.hpp"
#include "support/gguf_writer.hpp"
#include "util/error.hpp"
#include "util/half.hpp"

namespace facet::test {
namespace {

// The fields of a small valid file that the matrix below corrupts one at a time.
struct Spec {
  uint32_t magic = 0x46554747, version = 3;
  uint64_t n_tensors = 2, n_kv = 3;
  uint64_t key_len_override = 0;       // != 0: the first key's length field
  uint64_t array_len = 3;              // the u32 array's element count
  uint32_t n_dims0 = 2;
  std::vector<uint64_t> ne0 = {32, 2};  // tensor "w": f16 [2, 32]
  uint32_t type0 = 1;
  uint64_t offset0 = 0, offset1 = 128;
  uint32_t type1 = 0;                  // tensor "b": f32 [4]
  std::string name1 = "b";
  std::string key2 = "general.alignment";
  uint32_t alignment = 32;
};

std::vector<uint8_t> build(const Spec& s) {
  GgufBytes g;
  g.u32(s.magic).u32(s.version).u64(s.n_tensors).u64(s.n_kv);
  if (s.key_len_override) g.u64(s.key_len_override).b.insert(g.b.end(), {'a', 'r', 'c', 'h'});
  else g.str("general.architecture");
  g.u32(kGgufString).str("llama");
  g.str("test.ids").u32(kGgufArray).u32(kGgufU32).u64(s.array_len).u32(7).u32(8).u32(9);
  g.str(s.key2).u32(kGgufU32).u32(s.alignment);
  g.str("w").u32(s.n_dims0);
  for (uint32_t d = 0; d < s.n_dims0 && d < s.ne0.size(); ++d) g.u64(s.ne0[d]);
  g.u32(s.type0).u64(s.offset0);
  g.str(s.name1).u32(1).u64(4).u32(s.type1).u64(s.offset1);
  g.pad(32);
  for (int i = 0; i < 64; ++i) g.pod(f32_to_f16(0.5f * static_cast<float>(i)));  // w: 128 bytes
  for (int i = 0; i < 4; ++i) g.pod(static_cast<float>(i) + 1.0f);                    // b: 16 bytes
  return g.b;
}

std::shared_ptr<const io::GgufFile> parse(std::vector<uint8_t> bytes) {
  return io::GgufFile::parse(io::MappedFile::from_bytes("t.gguf", std::move(bytes)));
}

std::string parse_error(std::vector<uint8_t> bytes) {
  try {
    parse(std::move(bytes));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string error_of(const std::function<void(Spec&)>& change) {
  Spec s;
  change(s);
  return parse_error(build(s));
}

TEST(Gguf, ReadsMetadataAndTensors) {
  auto g = parse(build(Spec{}));
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(*g->get_string("general.architecture"), "llama");
  const io::GgufValue* ids = g->find("test.ids");
  ASSERT_TRUE(ids && ids->is_array_of(io::GgufType::U32));
  EXPECT_EQ(ids->items.at(2).i, 9);
  EXPECT_EQ(*g->get_int("general.alignment"), 32);
  EXPECT_THROW(g->get_string("test.ids"), InputError);
  const auto& w = g->tensors().at("w");
  EXPECT_EQ(w.desc().str(), TensorDesc(DType::F16, {2, 32}).str());  // ne reversed
  EXPECT_EQ(w.bytes, 128u);
  const auto& b = g->tensors().at("b");
  float v[4];
  std::memcpy(v, g->data(b), 16);
  EXPECT_EQ(v[3], 4.0f);
  auto j = nlohmann::json::parse(g->metadata_json());
  EXPECT_EQ(j["test.ids"], nlohmann::json({7, 8, 9}));
  EXPECT_FALSE(nlohmann::json::parse(g->metadata_json(2)).contains("test.ids"));  // long arrays left out
  Spec v2;
  v2.version = 2;
  EXPECT_EQ(parse(build(v2))->version(), 2u);
}

TEST(Gguf, MalformedInputMatrix) {
  struct Case {
    const char* name;
    std::string error;
    const char* expect;
  };
  const uint64_t minus1 = UINT64_MAX, big = 1ull << 62;
  std::vector<Case> cases = {
      {"bad magic", error_of([](Spec& s) { s.magic = 0x46554746; }), "not a GGUF file"},
      {"version 1", error_of([](Spec& s) { s.version = 1; }), "version 1"},
      {"version 4", error_of([](Spec& s) { s.version = 4; }), "version 4 is not supported"},
      {"big-endian", error_of([](Spec& s) { s.version = 3u << 24; }), "big-endian"},
      {"tensor count -1", error_of([&](Spec& s) { s.n_tensors = minus1; }), "tensor count"},
      {"tensor count 2^62", error_of([&](Spec& s) { s.n_tensors = big; }), "more than the file could hold"},
      {"metadata count -1", error_of([&](Spec& s) { s.n_kv = minus1; }), "metadata count"},
      {"metadata count 2^62", error_of([&](Spec& s) { s.n_kv = big; }), "more than the file could hold"},
      {"key length past the end", error_of([&](Spec& s) { s.key_len_override = big; }), "past the end of the file"},
      {"key length -1", error_of([&](Spec& s) { s.key_len_override = minus1; }), "past the end of the file"},
      {"array length past the end", error_of([&](Spec& s) { s.array_len = big; }), "runs past the end"},
      {"array length -1", error_of([&](Spec& s) { s.array_len = minus1; }), "runs past the end"},
      {"n_dims 5", error_of([](Spec& s) { s.n_dims0 = 5; s.ne0 = {32, 1, 1, 1, 2}; }), "5 dimensions"},
      {"n_dims 0", error_of([](Spec& s) { s.n_dims0 = 0; }), "0 dimensions"},
      {"zero dimension", error_of([](Spec& s) { s.ne0 = {32, 0}; }), "zero dimension"},
      {"element count overflow", error_of([](Spec& s) { s.n_dims0 = 3; s.ne0 = {1ull << 32, 1ull << 32, 1ull << 32}; }),
       "overflows 64 bits"},
      {"byte size overflow", error_of([](Spec& s) { s.type0 = 0; s.ne0 = {1ull << 31, 1ull << 31}; }), "byte size overflows"},
      {"tensor larger than the file", error_of([](Spec& s) { s.type0 = 0; s.ne0 = {1ull << 20, 1ull << 20}; }),
       "lies past the end of the file"},
      {"misaligned offset", error_of([](Spec& s) { s.offset1 = 132; }), "not a multiple of the alignment"},
      {"overlapping tensors", error_of([](Spec& s) { s.offset1 = 96; }), "overlap"},
      {"offset out of file", error_of([](Spec& s) { s.offset1 = 4096; }), "past the end of the file"},
      {"offset -32", error_of([](Spec& s) { s.offset1 = UINT64_MAX - 31; }), "past the end of the file"},
      {"unknown tensor type", error_of([](Spec& s) { s.type1 = 4; }), "unknown ggml type 4"},
      {"unknown tensor type 999", error_of([](Spec& s) { s.type1 = 999; }), "unknown ggml type 999"},
      {"partial blocks", error_of([](Spec& s) { s.type0 = 8; s.ne0 = {16, 2}; }), "not whole Q8_0 blocks"},
      {"duplicate tensor", error_of([](Spec& s) { s.name1 = "w"; }), "appears twice"},
      {"duplicate key", error_of([](Spec& s) { s.key2 = "test.ids"; }), "appears twice"},
      {"alignment not a power of two", error_of([](Spec& s) { s.alignment = 24; }), "power of two"},
      {"alignment zero", error_of([](Spec& s) { s.alignment = 0; }), "power of two"},
      {"empty file", parse_error({}), "truncated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_NE(c.error.find(c.expect), std::string::npos) << c.error;
    EXPECT_NE(c.error.find("t.gguf"), std::string::npos) << c.error;
  }

  // Deeply nested arrays and bad bools.
  GgufBytes g;
  g.u32(0x46554747).u32(3).u64(0).u64(1).str("k");
  g.u32(kGgufArray).u32(kGgufArray).u64(1).u32(kGgufArray).u64(1).u32(kGgufArray).u64(1).u32(kGgufU8).u64(0);
  EXPECT_NE(parse_error(g.b).find("nested deeper"), std::string::npos);
  GgufBytes h;
  h.u32(0x46554747).u32(3).u64(0).u64(1).str("k").u32(kGgufBool).pod(uint8_t{7});
  EXPECT_NE(parse_error(h.b).find("neither 0 nor 1"), std::string::npos);
}

TEST(Gguf, EveryPrefixAndRandomCorruptionIsReadOrRefused) {
  const std::vector<uint8_t> ok = build(Spec{});
  int accepted = 0, refused = 0;
  auto check = [&](std::vector<uint8_t> b) {
    try {
      auto g = parse(std::move(b));
      for (const auto& [name, t] : g->tensors()) {  // touch every byte a tensor claims
        volatile uint8_t sum = 0;
        for (uint64_t i = 0; i < t.bytes; ++i) sum = static_cast<uint8_t>(sum + g->data(t)[i]);
      }
      ++accepted;
    } catch (const InputError&) {
      ++refused;
    }
  };
  for (size_t n = 0; n < ok.size(); ++n) check(std::vector<uint8_t>(ok.begin(), ok.begin() + static_cast<long>(n)));
  std::mt19937_64 rng(1234);
  for (int k = 0; k < 4000; ++k) {
    std::vector<uint8_t> b = ok;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % b.size();
      switch (rng() % 3) {
        case 0: b[at] = static_cast<uint8_t>(rng()); break;
        case 1: b[at] = 0xFF; break;
        default: b[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      }
    }
    check(std::move(b));
  }
  EXPECT_GT(refused, 1000);
  EXPECT_GT(accepted, 10);  // corruptions inside tensor data stay readable
}

TEST(Gguf, WeightSetReadsGgufFiles) {
  auto dir = std::filesystem::temp_directory_path() / "facet_gguf_test";
  std::filesystem::create_directories(dir);
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.block_count", 2);
  std::vector<uint8_t> f32(4 * 6);
  for (int i = 0; i < 6; ++i) {
    float v = static_cast<float>(i);
    std::memcpy(f32.data() + 4 * i, &v, 4);
  }
  w.add_tensor("blk.0.attn_q.weight", 0, {3, 2}, f32);
  w.add_tensor("blk.0.odd.weight", 13, {256}, std::vector<uint8_t>(176));  // Q5_K: readable, not computable
  const std::string path = (dir / "m.gguf").string();
  w.write(path);
  auto ws = io::WeightSet::open(path);
  ASSERT_TRUE(ws->gguf());
  auto t = ws->find("blk.0.attn_q.weight");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->desc.str(), TensorDesc(DType::F32, {2, 3}).str());
  EXPECT_EQ(static_cast<const float*>(t->data)[5], 5.0f);
  try {
    ws->find("blk.0.odd.weight");
    FAIL() << "Q5_K accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("Q5_K"), std::string::npos) << e.what();
  }
  auto meta = ws->file("gguf.json");
  ASSERT_TRUE(meta);
  EXPECT_EQ(nlohmann::json::parse(*meta)["llama.block_count"], 2);
  EXPECT_FALSE(ws->file("config.json"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace facet::test
