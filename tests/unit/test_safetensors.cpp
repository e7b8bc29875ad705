// safetensors: valid files and the malformed-input matrix of DESIGN.md §4.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/safetensors.hpp"
#include "io/weights.hpp"
#include "support/safetensors_writer.hpp"
#include "util/error.hpp"

namespace facet::test {
namespace {

std::vector<StTensor> two_tensors() {
  return {st_f32("a.weight", {2, 3}, {1, 2, 3, 4, 5, 6}), st_f32("a.bias", {2}, {7, 8})};
}

std::string parse_error(std::vector<uint8_t> bytes) {
  try {
    io::SafetensorsFile::parse(io::MappedFile::from_bytes("bad.safetensors", std::move(bytes)));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string header_error(const std::string& header, size_t data_bytes = 32) {
  std::vector<uint8_t> b = safetensors_bytes({}, header);
  b.resize(b.size() + data_bytes);
  return parse_error(b);
}

TEST(Safetensors, ReadsTensorsAndMetadata) {
  auto st = io::SafetensorsFile::parse(io::MappedFile::from_bytes("ok", safetensors_bytes(two_tensors())));
  ASSERT_EQ(st->tensors().size(), 2u);
  const auto& w = st->tensors().at("a.weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(*w.dtype, DType::F32);
  float v[6];
  std::memcpy(v, st->data(w), 24);
  EXPECT_EQ(v[5], 6.0f);
}

TEST(Safetensors, MalformedInputMatrix) {
  struct Case {
    const char* name;
    std::string error;
    const char* expect;
  };
  std::vector<uint8_t> ok = safetensors_bytes(two_tensors());
  std::vector<uint8_t> truncated(ok.begin(), ok.end() - 4);
  std::vector<uint8_t> huge_header = ok;
  huge_header[5] = 0x10;  // header length ~ 2^44
  const std::string d = R"("dtype":"F32","shape":[2],"data_offsets":)";
  std::vector<Case> cases = {
      {"too short for a length", parse_error({1, 2, 3}), "no header length"},
      {"header over 100 MB", parse_error(huge_header), "exceeds the 100 MB limit"},
      {"truncated data", parse_error(truncated), "reach past the end of the data"},
      {"header not JSON", header_error("{not json"), "not valid JSON"},
      {"header not an object", header_error("[1,2]"), "not a JSON object"},
      {"duplicate key", header_error("{\"t\":{" + d + "[0,8]},\"t\":{" + d + "[8,16]}}", 16), "duplicate tensor name 't'"},
      {"unknown dtype", header_error(R"({"t":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})", 8), "unknown dtype 'F12'"},
      {"bytes != shape x dtype", header_error("{\"t\":{" + d + "[0,12]}}", 12), "shape x dtype needs 8"},
      {"out of bounds", header_error("{\"t\":{" + d + "[40,48]}}"), "reach past the end"},
      {"overlap", header_error("{\"a\":{" + d + "[0,8]},\"b\":{" + d + "[4,12]}}", 12), "overlaps"},
      {"gap", header_error("{\"a\":{" + d + "[0,8]},\"b\":{" + d + "[12,20]}}", 20), "gap of 4 bytes"},
      {"unindexed tail", header_error("{\"a\":{" + d + "[0,8]}}", 12), "not described by the header"},
      {"negative dim", header_error(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "not a non-negative integer"},
      {"element overflow",
       header_error(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8), "overflows"},
      {"end before begin", header_error("{\"t\":{" + d + "[8,0]}}", 8), "end before begin"},
      {"missing offsets", header_error(R"({"t":{"dtype":"F32","shape":[2]}})", 8), "missing data_offsets"},
  };
  for (const Case& c : cases) EXPECT_NE(c.error.find(c.expect), std::string::npos) << c.name << ": " << c.error;
}

TEST(Weights, RefusesPickleCheckpoints) {
  std::string dir = ::testing::TempDir() + "/pickle_model";
  std::filesystem::create_directories(dir);
  write_file(dir + "/pytorch_model.bin", {1, 2, 3});
  try {
    io::WeightSet::open(dir);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("pickle checkpoint"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("safetensors"), std::string::npos);
  }
  EXPECT_THROW(io::WeightSet::open(dir + "/pytorch_model.bin"), InputError);
}

TEST(Weights, ShardedIndexResolvesAndStaysInsideTheFolder) {
  std::string dir = ::testing::TempDir() + "/sharded_model";
  std::filesystem::create_directories(dir);
  write_file(dir + "/model-00001-of-00002.safetensors", safetensors_bytes({st_f32("x", {2}, {1, 2})}));
  write_file(dir + "/model-00002-of-00002.safetensors", safetensors_bytes({st_f32("y", {1}, {3})}));
  auto write_index = [&](const std::string& shard_of_y) {
    std::ofstream(dir + "/model.safetensors.index.json")
        << R"({"metadata":{},"weight_map":{"x":"model-00001-of-00002.safetensors","y":")" << shard_of_y << "\"}}";
  };
  write_index("model-00002-of-00002.safetensors");
  auto ws = io::WeightSet::open(dir);
  ASSERT_TRUE(ws->find("y").has_value());
  float y = 0;  // safetensors data is not aligned: copy, never dereference
  std::memcpy(&y, ws->find("y")->data, 4);
  EXPECT_EQ(y, 3.0f);
  EXPECT_FALSE(ws->find("z").has_value());

  write_index("../outside.safetensors");
  try {
    io::WeightSet::open(dir);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("lies outside the model folder"), std::string::npos) << e.what();
  }
  write_index("model-00001-of-00002.safetensors");  // y is not in shard 1
  EXPECT_THROW(io::WeightSet::open(dir), InputError);
}

TEST(Weights, IgnorableDtypesAreReportedOnlyWhenUsed) {
  std::string path = ::testing::TempDir() + "/legacy.safetensors";
  StTensor ids{"position_ids", "I64", {1, 2}, std::vector<uint8_t>(16, 0)};
  write_file(path, safetensors_bytes({st_f32("w", {2}, {1, 2}), ids}));
  auto ws = io::WeightSet::open(path);
  EXPECT_TRUE(ws->find("w").has_value());
  EXPECT_THROW(ws->find("position_ids"), InputError);
}

TEST(Weights, AuxiliaryFilesOfTheModelFolder) {
  std::string dir = ::testing::TempDir() + "/aux_model";
  std::filesystem::create_directories(dir);
  write_file(dir + "/model.safetensors", safetensors_bytes({st_f32("x", {1}, {1})}));
  std::ofstream(dir + "/config.json") << R"({"model_type": "clip"})";
  for (const std::string& path : {dir, dir + "/model.safetensors"}) {  // folder or its single file
    auto ws = io::WeightSet::open(path);
    auto text = ws->file("config.json");
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, R"({"model_type": "clip"})");
    EXPECT_EQ(ws->file("config.json").get(), text.get());  // cached
    EXPECT_FALSE(ws->file("tokenizer.json"));
    for (const char* bad : {"../config.json", "/etc/passwd", "", ".hidden", "a/b.json"})
      EXPECT_THROW(ws->file(bad), InputError) << bad;
  }
}

}  // namespace
}  // namespace facet::test
