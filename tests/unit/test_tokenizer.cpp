// Tokenizers against an independent implementation: transformers.js's engine
// (@lenml/tokenizers) gave the expected ids of tests/data/tokenizers/*/expected.json for the
// corpus (tests/models/gen_tokenizer_goldens.mjs). Plus the parts on their own: Unicode
// tables, NFC, the regex engine, BPE merge order, WordPiece splitting, decoding, and malformed
// files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "text/regex.hpp"
#include "text/tokenizer.hpp"
#include "text/unicode.hpp"
#include "util/error.hpp"

using namespace facet;
using namespace facet::text;

namespace {

std::string data_dir() { return std::string(FACET_SOURCE_DIR) + "/tests/data/tokenizers/"; }

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << path;
  return nlohmann::json::parse(f);
}

std::string ids_str(const std::vector<int32_t>& v) {
  std::string s;
  for (auto x : v) s += std::to_string(x) + " ";
  return s;
}

class TokenizerReference : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerReference, IdsMatchTransformersJs) {
  std::string dir = data_dir() + GetParam();
  Tokenizer tok = Tokenizer::from_file(dir + "/tokenizer.json");
  auto cases = read_json(dir + "/expected.json");
  ASSERT_GE(cases.size(), 30u);
  int checked = 0;
  for (const auto& c : cases) {
    std::string text = c["text"];
    auto want = c["ids"].get<std::vector<int32_t>>();
    auto want_plain = c["ids_plain"].get<std::vector<int32_t>>();
    EncodeOptions opt;
    opt.parse_special = true;
    EXPECT_EQ(ids_str(tok.encode(text, opt)), ids_str(want)) << GetParam() << ": \"" << text << "\"";
    opt.add_special = false;
    EXPECT_EQ(ids_str(tok.encode(text, opt)), ids_str(want_plain)) << GetParam() << ": \"" << text << "\"";
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

INSTANTIATE_TEST_SUITE_P(Files, TokenizerReference,
                         ::testing::Values("bert_uncased", "clip_tiny", "gpt2", "kosmos2", "llama2", "llama3", "llava",
                                           "mistral", "qformer_tiny", "t5", "xlm_roberta"));

// The second, independent reference for LLaMA-2: llama-tokenizer-js, whose vocabulary and merges
// the llama2 tokenizer.json was rebuilt from. It adds BOS and treats "<s>" literals as text.
TEST(Tokenizer, Llama2MatchesLlamaTokenizerJs) {
  Tokenizer tok = Tokenizer::from_file(data_dir() + "llama2/tokenizer.json");
  EXPECT_EQ(tok.vocab_size(), 32000);
  auto cases = read_json(data_dir() + "llama2/llama_tokenizer_js.json");
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    std::string text = c["text"];
    if (text.empty()) continue;  // llama-tokenizer-js returns no BOS for ""
    EXPECT_EQ(ids_str(tok.encode(text)), ids_str(c["ids"].get<std::vector<int32_t>>())) << "\"" << text << "\"";
  }
}

TEST(Tokenizer, SpecialLiteralsStayTextUnlessAsked) {
  Tokenizer tok = Tokenizer::from_file(data_dir() + "mistral/tokenizer.json");
  EncodeOptions plain;
  plain.add_special = false;
  auto ids = tok.encode("<s> and </s>", plain);
  for (int32_t id : ids) EXPECT_FALSE(tok.is_special(id)) << ids_str(ids);
  plain.parse_special = true;
  ids = tok.encode("<s> and </s>", plain);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
}

TEST(Tokenizer, DecodeRoundTrips) {
  for (const char* name : {"gpt2", "llama3", "mistral"}) {
    Tokenizer tok = Tokenizer::from_file(data_dir() + name + "/tokenizer.json");
    EncodeOptions opt;
    opt.add_special = false;
    for (const char* text : {"Hello world", "café 日本語 😀 x = 1;\n  y", "  two spaces"}) {
      std::string back = tok.decode(tok.encode(text, opt));
      // Mistral's decoder strips the one space its normalizer prepends.
      EXPECT_EQ(back, text) << name;
    }
  }
  Tokenizer clip = Tokenizer::from_file(data_dir() + "clip_tiny/tokenizer.json");
  EXPECT_EQ(clip.decode(clip.encode("a photo")), "a</w>photo</w>");  // ByteLevel decoder keeps the suffix
}

TEST(Tokenizer, ByteFallbackAndReplacementCharacter) {
  Tokenizer tok = Tokenizer::from_file(data_dir() + "mistral/tokenizer.json");
  EncodeOptions opt;
  opt.add_special = false;
  // A character the trimmed vocabulary lacks falls back to its UTF-8 bytes.
  auto ids = tok.encode("\xF0\x9F\xA6\x80", opt);  // U+1F980
  int byte_tokens = 0;
  for (int32_t id : ids) byte_tokens += tok.token(id).rfind("<0x", 0) == 0;
  EXPECT_EQ(byte_tokens, 4) << ids_str(ids);
  EXPECT_EQ(tok.decode(ids), "\xF0\x9F\xA6\x80");
  // A cut sequence decodes to one U+FFFD.
  ids.pop_back();
  EXPECT_EQ(tok.decode(ids), "\xEF\xBF\xBD");
}

TEST(Tokenizer, InvalidUtf8IsAnInputError) {
  Tokenizer tok = Tokenizer::from_file(data_dir() + "gpt2/tokenizer.json");
  try {
    tok.encode("ok \xC3(");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("byte offset 3"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, MalformedFilesAreNamed) {
  auto expect_error = [](const std::string& json, const std::string& needle) {
    try {
      Tokenizer::from_json(json, "t.json");
      ADD_FAILURE() << "accepted: " << json;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("{", "not valid JSON");
  expect_error("[]", "not a JSON object");
  expect_error(R"({"model": {"type": "WordLevel"}})", "WordLevel");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}})", "not in the vocabulary");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["ab"]}})",
               "two tokens");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": -4}, "merges": []}})", "no valid id");
  expect_error(R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": {"type": "NFKC"}})",
               "unsupported normalizer type \"NFKC\"");
  expect_error(R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
                   "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a++"}, "behavior": "Isolated"}})",
               "possessive");
  expect_error(R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
                   "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\p{Foo}"}}})",
               "unknown property");
  expect_error(R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
                   "post_processor": {"type": "RobertaProcessing", "cls": ["<s>", 5], "sep": ["</s>", 6]}})",
               "out of range");
  expect_error(R"({"model": {"type": "BPE", "vocab": {}, "merges": [], "unk_token": "<unk>"}})", "unk_token");
  expect_error(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", "unk_token \"[UNK]\" is not in the vocabulary");
  expect_error(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 0}}})", "id 0 is given to");
  expect_error(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}, "max_input_chars_per_word": 0}})",
               "max_input_chars_per_word");
  expect_error(R"({"model": {"type": "WordPiece", "vocab": []}})", "\"vocab\" must be an object");
}

TEST(WordPiece, LongestMatchFromTheLeftAndWholeWordUnknowns) {
  Tokenizer tok = Tokenizer::from_json(
      R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "max_input_chars_per_word": 6,
          "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "u": 4, "##n": 5, "##a": 6, "##ffable": 7,
                    "x": 8}},
          "pre_tokenizer": {"type": "BertPreTokenizer"}, "decoder": {"type": "WordPiece", "prefix": "##"}})",
      "t.json");
  EXPECT_EQ(ids_str(tok.encode("unaffable")), "0 ");  // longer than 6 characters: one unknown
  EXPECT_EQ(ids_str(tok.encode("unaff")), "1 2 ");    // "un" beats "u", then the longest "##aff"
  EXPECT_EQ(ids_str(tok.encode("unan")), "1 6 5 ");
  EXPECT_EQ(ids_str(tok.encode("unz x")), "0 8 ");    // "##z" matches nothing: the whole word is unknown
  EXPECT_EQ(tok.decode(tok.encode("unaff x")), "unaff x");
  Tokenizer bert = Tokenizer::from_file(data_dir() + "bert_uncased/tokenizer.json");
  EXPECT_EQ(bert.vocab_size(), 30522);
  const auto ids = bert.encode("Unaffable strawberries, isn't it?");
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);
  // The decoder's cleanup works token by token, as tokenizers' WordPiece decoder does: it joins
  // "," and "?" to the word before, not "'" (transformers' whole-string cleanup would).
  EXPECT_EQ(bert.decode(ids), "unaffable strawberries, isn ' t it?");
}

TEST(Bpe, MergesByRankLeftmostFirst) {
  // "aaa" with the single merge "a a": the leftmost pair merges first -> "aa" "a".
  Tokenizer tok = Tokenizer::from_json(
      R"({"model": {"type": "BPE", "vocab": {"a": 0, "aa": 1, "b": 2, "ab": 3, "aab": 4},
          "merges": ["a b", "a a", "aa b"]}})",
      "t.json");
  EXPECT_EQ(ids_str(tok.encode("aaa")), "1 0 ");
  // "aab": rank 0 "a b" merges first -> "a" "ab", and "a ab" has no merge.
  EXPECT_EQ(ids_str(tok.encode("aab")), "0 3 ");
  EXPECT_EQ(ids_str(tok.encode("aaaa")), "1 1 ");
}

TEST(Unicode, CategoriesAndCase) {
  EXPECT_TRUE(is_letter(U'a'));
  EXPECT_TRUE(is_letter(U'\u00DF'));
  EXPECT_TRUE(is_letter(U'\u65E5'));
  EXPECT_TRUE(is_number(U'7'));
  EXPECT_TRUE(is_number(U'\u2460'));   // circled one: No
  EXPECT_TRUE(is_number(U'\u216B'));   // roman twelve: Nl
  EXPECT_FALSE(is_letter(U'\U0001F600'));
  EXPECT_EQ(category(U'\u0301'), Category::Mn);
  EXPECT_TRUE(is_whitespace(U'\u3000'));
  EXPECT_TRUE(is_whitespace(U'\u0085'));
  EXPECT_FALSE(is_whitespace(U'\u200B'));
  EXPECT_EQ(lowercase(U"ÀÉÎ ΑΒΓ Straße"), U"àéî αβγ straße");
  EXPECT_EQ(lowercase(U"\u0130"), U"i\u0307");  // full mapping
}

TEST(Unicode, Normalization) {
  EXPECT_EQ(nfc(U"cafe\u0301"), U"caf\u00E9");
  EXPECT_EQ(nfd(U"\u00C5"), U"A\u030A");
  EXPECT_EQ(nfc(U"\u212B"), U"\u00C5");  // Angstrom sign: singleton decomposition
  EXPECT_EQ(nfc(U"\u1100\u1161\u11A8"), U"\uAC01");
  EXPECT_EQ(nfd(U"\uAC01"), U"\u1100\u1161\u11A8");
  // Reordering by combining class: dot below (220) before acute (230).
  EXPECT_EQ(nfd(U"e\u0301\u0323"), U"e\u0323\u0301");
  EXPECT_EQ(nfc(U"e\u0301\u0323"), U"\u1EB9\u0301");
  // A blocked mark does not compose.
  EXPECT_EQ(nfc(U"a\u0301\u0301"), U"\u00E1\u0301");
}

TEST(Unicode, Utf8) {
  EXPECT_EQ(decode_utf8("a\xC3\xA9\xF0\x9F\x98\x80"), U"a\u00E9\U0001F600");
  EXPECT_EQ(encode_utf8(U"a\u00E9\U0001F600"), "a\xC3\xA9\xF0\x9F\x98\x80");
  for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\x80"})
    EXPECT_FALSE(valid_utf8(bad)) << bad;
  EXPECT_EQ(to_valid_utf8("a\xE2\x82z"), "a\xEF\xBF\xBDz");
}

std::vector<std::string> all_matches(const std::string& pattern, const std::u32string& s) {
  Regex re(pattern);
  std::vector<std::string> out;
  size_t i = 0, b, e;
  while (i <= s.size() && re.search(s, i, b, e)) {
    out.push_back(encode_utf8(s.substr(b, e - b)));
    i = e > b ? e : b + 1;
  }
  return out;
}

TEST(Regex, Gpt2AndLlama3Patterns) {
  const std::string gpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
  EXPECT_EQ(all_matches(gpt2, U"Hello  world's 42!!"),
            (std::vector<std::string>{"Hello", " ", " world", "'s", " 42", "!!"}));
  const std::string llama3 =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  EXPECT_EQ(all_matches(llama3, U"I'M 12345 ok\n\n  x"),
            (std::vector<std::string>{"I", "'M", " ", "123", "45", " ok", "\n\n", " ", " x"}));
}

TEST(Regex, Constructs) {
  EXPECT_EQ(all_matches("a{2,3}?", U"aaaa"), (std::vector<std::string>{"aa", "aa"}));
  EXPECT_EQ(all_matches("[^a-c]+", U"abxyzc"), (std::vector<std::string>{"xyz"}));
  EXPECT_EQ(all_matches(R"(\x{41}|\u0042)", U"AB"), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(all_matches("(?:ab)+", U"ababa"), (std::vector<std::string>{"abab"}));
  EXPECT_EQ(all_matches("x(?=y)", U"xxy"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(all_matches(R"(\w+)", U"héllo_1 wörld"), (std::vector<std::string>{"héllo_1", "wörld"}));
  for (const char* bad : {"(", "a)", "[a", "a{3,1}", "\\q", "^a", "(?<n>a)"})
    EXPECT_THROW(Regex{bad}, InputError) << bad;
}

TEST(Regex, LongInputsDoNotRecurseDeeply) {
  std::u32string spaces(200000, U' ');
  spaces += U"x";
  auto m = all_matches(R"(\s+(?!\S)|\s+)", spaces);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].size(), 199999u);
}

}  // namespace
