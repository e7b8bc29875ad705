// Tokenizers from GGUF metadata: the test tokenizer.json files converted the way llama.cpp
// converts them (SentencePiece-style scores from the merge ranks for LLaMA-2's full vocabulary,
// merges and the pre-tokenizer
// name for GPT-2 and LLaMA-3) must give the ids transformers.js gave for the tokenizer.json files.
// (The mistral test file is left out: its vocabulary was cut to 20000 merges, so some of its tokens
// can be formed by splits whose merges were cut, which a score-based vocabulary cannot express.)
#include <gtest/gtest.h>

#include "support/hf_to_gguf.hpp"
#include "text/gguf_vocab.hpp"
#include "util/error.hpp"

namespace facet::test {
namespace {

std::string data_dir() { return std::string(FACET_SOURCE_DIR) + "/tests/data/tokenizers/"; }

std::shared_ptr<const io::GgufFile> vocab_gguf(const std::string& name) {
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  add_gguf_tokenizer(w, read_json_file(data_dir() + name + "/tokenizer.json"),
                     read_json_file(data_dir() + name + "/tokenizer_config.json"));
  return io::GgufFile::parse(io::MappedFile::from_bytes(name + ".gguf", w.bytes()));
}

std::string ids_str(const std::vector<int32_t>& v) {
  std::string s;
  for (auto x : v) s += std::to_string(x) + " ";
  return s;
}

class GgufVocabReference : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufVocabReference, IdsMatchTheTokenizerJsonReference) {
  auto g = vocab_gguf(GetParam());
  text::Tokenizer tok = text::tokenizer_from_gguf(*g);
  auto cases = read_json_file(data_dir() + GetParam() + "/expected.json");
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    std::string text = c["text"];
    text::EncodeOptions opt;
    opt.parse_special = true;
    EXPECT_EQ(ids_str(tok.encode(text, opt)), ids_str(c["ids"].get<std::vector<int32_t>>())) << "\"" << text << "\"";
    opt.add_special = false;
    auto plain = tok.encode(text, opt);
    EXPECT_EQ(ids_str(plain), ids_str(c["ids_plain"].get<std::vector<int32_t>>())) << "\"" << text << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(Files, GgufVocabReference, ::testing::Values("gpt2", "llama2", "llama3"));

TEST(GgufVocab, DecodesWhatItEncodes) {
  auto g = vocab_gguf("llama2");
  text::Tokenizer tok = text::tokenizer_from_gguf(*g);
  const std::string s = "Hello  world, ünïcödé 你好 🙂\nnew line";
  EXPECT_EQ(tok.decode(tok.encode(s)), s);
  EXPECT_EQ(tok.encode("x").at(0), 1);  // BOS
}

TEST(GgufVocab, MissingOrUnknownMetadataIsNamed) {
  auto error_of = [](GgufWriter& w) {
    try {
      text::tokenizer_from_gguf(*io::GgufFile::parse(io::MappedFile::from_bytes("v.gguf", w.bytes())));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  GgufWriter none;
  EXPECT_NE(error_of(none).find("tokenizer.ggml.model is missing"), std::string::npos);
  GgufWriter bert;
  bert.add_string("tokenizer.ggml.model", "bert");
  EXPECT_NE(error_of(bert).find("'bert'"), std::string::npos);
  GgufWriter pre;
  pre.add_string("tokenizer.ggml.model", "gpt2");
  pre.add_strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
  pre.add_strings("tokenizer.ggml.merges", {"a b"});
  pre.add_string("tokenizer.ggml.pre", "mystery");
  EXPECT_NE(error_of(pre).find("'mystery'"), std::string::npos);
  GgufWriter scores;
  scores.add_string("tokenizer.ggml.model", "llama");
  scores.add_strings("tokenizer.ggml.tokens", {"a", "b"});
  scores.add_f32s("tokenizer.ggml.scores", {0.0f});
  EXPECT_NE(error_of(scores).find("tokenizer.ggml.scores"), std::string::npos);
  GgufWriter bos;
  bos.add_string("tokenizer.ggml.model", "llama");
  bos.add_strings("tokenizer.ggml.tokens", {"a", "b"});
  bos.add_f32s("tokenizer.ggml.scores", {0.0f, 0.0f});
  bos.add_u32("tokenizer.ggml.bos_token_id", 7);
  EXPECT_NE(error_of(bos).find("bos_token_id = 7 is not a token id"), std::string::npos);
}

}  // namespace
}  // namespace facet::test
