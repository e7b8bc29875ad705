// The Unigram model, the Precompiled normalizer (SentencePiece's charsmap) and extended grapheme
// clusters on their own: segmentation choices worked out by hand, unknown and byte-fallback
// handling, the charsmap's quirks as Hugging Face's tokenizers has them, Kosmos-2's location
// tokens, malformed files, and Unicode's own grapheme break tests. The whole pipelines are
// compared with transformers.js in test_tokenizer.cpp (xlm_roberta, kosmos2, t5).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <ctime>
#include <fstream>
#include <sstream>

#include "text/grapheme.hpp"
#include "text/precompiled_charsmap.hpp"
#include "text/tokenizer.hpp"
#include "text/unicode.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"

using namespace facet;
using namespace facet::text;

namespace {

std::string data_dir() { return std::string(FACET_SOURCE_DIR) + "/tests/data/"; }

std::string ids_str(const std::vector<int32_t>& v) {
  std::string s;
  for (auto x : v) s += std::to_string(x) + " ";
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

EncodeOptions plain() {
  EncodeOptions o;
  o.add_special = false;
  return o;
}

// A Unigram tokenizer over `vocab` (a JSON array of [piece, score]) and extra model fields.
Tokenizer unigram(const std::string& vocab, const std::string& extra = R"("unk_id": 0)",
                  const std::string& rest = "") {
  return Tokenizer::from_json(R"({"model": {"type": "Unigram", "vocab": )" + vocab + ", " + extra + "}" + rest + "}",
                              "t.json");
}

void expect_error(const std::string& json, const std::string& needle) {
  try {
    Tokenizer::from_json(json, "t.json");
    ADD_FAILURE() << "accepted: " << json.substr(0, 300);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t.json"), std::string::npos) << e.what();
  }
}

std::string charsmap_of(const std::string& tokenizer_json) {
  auto j = nlohmann::json::parse(read_file(tokenizer_json));
  return j["normalizer"]["precompiled_charsmap"].get<std::string>();
}

std::string base64_encode(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= uint8_t(bytes[i + 2]);
    b64 += alphabet[n >> 18];
    b64 += alphabet[(n >> 12) & 63];
    b64 += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
    b64 += i + 2 < bytes.size() ? alphabet[n & 63] : '=';
  }
  return b64;
}

std::string with_charsmap(const std::string& base64) {
  return R"({"model": {"type": "Unigram", "vocab": [["<unk>", 0]], "unk_id": 0},
            "normalizer": {"type": "Precompiled", "precompiled_charsmap": ")" + base64 + "\"}}";
}

}  // namespace

TEST(Unigram, ViterbiPicksTheHighestTotalScore) {
  // "abc": a+b+c = -3, ab+c = -2.5, a+bc = -2.2 (best), abc is not a piece.
  Tokenizer t = unigram(R"([["<unk>", 0], ["a", -1], ["b", -1], ["c", -1], ["ab", -1.5], ["bc", -1.2]])");
  EXPECT_EQ(ids_str(t.encode("abc", plain())), "1 5 ");
  EXPECT_EQ(ids_str(t.encode("ab", plain())), "4 ");
  // Equal totals: the first candidate to reach a position keeps it (start order, then length):
  // the piece "ab" (-2, from position 0) is there before a+b (-2, completed from position 1).
  Tokenizer tie = unigram(R"([["<unk>", 0], ["a", -1], ["b", -1], ["ab", -2]])");
  EXPECT_EQ(ids_str(tie.encode("ab", plain())), "3 ");
  // ... and a shorter piece from the same start comes before a longer one: "a"+"bc" vs "ab"+"c".
  Tokenizer order = unigram(R"([["<unk>", 0], ["a", -1], ["bc", -1], ["ab", -1], ["c", -1]])");
  EXPECT_EQ(ids_str(order.encode("abc", plain())), "1 2 ");
}

TEST(Unigram, UnknownRunsFuseAndByteFallback) {
  // min score -4: an unknown character costs -14.
  const std::string vocab = R"([["<unk>", 0], ["a", -1], ["b", -4], ["<0xC3>", -2], ["<0xA9>", -2], ["<0x7A>", -2]])";
  Tokenizer t = unigram(vocab);
  EXPECT_EQ(ids_str(t.encode("azzb", plain())), "1 0 2 ");     // "zz" is one unknown
  EXPECT_EQ(ids_str(t.encode("z\xC3\xA9" "a", plain())), "0 1 ");  // so is "zé"
  Tokenizer fb = unigram(vocab, R"("unk_id": 0, "byte_fallback": true)");
  EXPECT_EQ(ids_str(fb.encode("a\xC3\xA9z", plain())), "1 3 4 5 ");  // é and z as bytes
  EXPECT_EQ(ids_str(fb.encode("\xC3\xA8", plain())), "0 ");          // <0xA8> is missing: unk
  // No unk_id: an uncovered character is an error, as in Hugging Face's.
  Tokenizer none = unigram(R"([["a", -1]])", R"("unk_id": null)");
  EXPECT_EQ(ids_str(none.encode("aa", plain())), "0 0 ");
  EXPECT_THROW(none.encode("ab", plain()), InputError);
}

TEST(Unigram, SpecialPiecesMatchOnlyAsAddedTokens) {
  Tokenizer t = Tokenizer::from_file(data_dir() + "tokenizers/xlm_roberta/tokenizer.json");
  EncodeOptions literal = plain();
  auto ids = t.encode("<s> and </s> <mask>", literal);
  for (int32_t id : ids) EXPECT_FALSE(t.is_special(id)) << ids_str(ids);
  literal.parse_special = true;
  ids = t.encode("<s> and </s> <mask>", literal);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), *t.token_id("<mask>"));
}

TEST(Unigram, XlmRobertaDecodeRoundTrips) {
  Tokenizer t = Tokenizer::from_file(data_dir() + "tokenizers/xlm_roberta/tokenizer.json");
  auto ids = t.encode("Hello world, café 日本語");
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ(t.decode(ids), "Hello world, café 日本語");
  // The normalizer folds full-width forms and runs of spaces; decoding gives the folded text.
  EXPECT_EQ(t.decode(t.encode("Ｈｅｌｌｏ   world")), "Hello world");
}

TEST(Unigram, Kosmos2LocationTokens) {
  Tokenizer t = Tokenizer::from_file(data_dir() + "tokenizers/kosmos2/tokenizer.json");
  const std::string text =
      "<grounding><phrase> a snowman</phrase><object><patch_index_0044><patch_index_0863></object>";
  EncodeOptions opt = plain();
  opt.parse_special = true;
  auto ids = t.encode(text, opt);
  ASSERT_GE(ids.size(), 7u);
  EXPECT_EQ(ids[0], *t.token_id("<grounding>"));
  EXPECT_EQ(ids[1], *t.token_id("<phrase>"));
  EXPECT_EQ(ids[ids.size() - 3], *t.token_id("<patch_index_0044>"));
  EXPECT_EQ(ids[ids.size() - 2], *t.token_id("<patch_index_0863>"));
  EXPECT_EQ(ids.back(), *t.token_id("</object>"));
  EXPECT_EQ(*t.token_id("<patch_index_1023>"), *t.token_id("<patch_index_0000>") + 1023);
  EXPECT_EQ(t.decode(ids, false), text);
  EXPECT_EQ(t.decode(ids), "a snowman");
  const std::string multi = "<object><patch_index_0001><patch_index_0100></delimiter_of_multi_objects/>"
                            "<patch_index_0512><patch_index_1023></object>";
  auto m = t.encode(multi, opt);
  EXPECT_EQ(m.size(), 7u) << ids_str(m);
  EXPECT_EQ(t.decode(m, false), multi);
  // Without parse_special the tags are text.
  for (int32_t id : t.encode(text, plain())) EXPECT_FALSE(t.is_special(id));
}

TEST(Precompiled, FollowsHuggingFacesCharsmapLookup) {
  Tokenizer t = Tokenizer::from_file(data_dir() + "tokenizers/t5/tokenizer.json");
  auto norm = [&](const std::string& s) {
    std::u32string u = decode_utf8(s);
    t.normalizer.apply(u);
    return encode_utf8(u);
  };
  EXPECT_EQ(norm("\xEF\xBC\xA8\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F"), "Hello");  // Ｈｅｌｌｏ
  EXPECT_EQ(norm("\xEF\xBD\xB6\xEF\xBE\x80"), "\xE3\x82\xAB\xE3\x82\xBF");  // ｶﾀ -> カタ
  EXPECT_EQ(norm("\xEF\xAC\x83"), "ffi");                                 // ﬃ
  EXPECT_EQ(norm("e\xCC\x81"), "\xC3\xA9");                               // e + U+0301 -> é
  // A cluster under 6 bytes takes the replacement of its shortest matching prefix as a whole:
  // a + two acute accents becomes á, the second accent dropped (what tokenizers does).
  EXPECT_EQ(norm("a\xCC\x81\xCC\x81"), "\xC3\xA1");
  // "\r\n" is one cluster: one space, where "\n\r" (two clusters) gives two.
  EXPECT_EQ(norm("x\r\ny"), "x y");
  EXPECT_EQ(norm("x\n\ry"), "x  y");
  // Conjoining jamo (9 bytes) go character by character, and single jamo have no entry.
  EXPECT_EQ(norm("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8");
  EXPECT_EQ(norm("plain ascii"), "plain ascii");
}

TEST(Precompiled, MalformedCharsmapsAreNamed) {
  std::string real = charsmap_of(data_dir() + "tokenizers/t5/tokenizer.json");
  std::string bytes = base64_decode(real, "charsmap");
  expect_error(with_charsmap("not*base64!!"), "invalid base64 character at offset 3");
  expect_error(with_charsmap("QUJD="), "not a multiple of 4");
  expect_error(with_charsmap(""), "truncated (0 bytes)");
  expect_error(with_charsmap("AAAAAA=="), "is not a positive multiple of 4");  // 4 zero bytes: empty trie
  // The trie claims more bytes than follow.
  std::string b64 = base64_encode(bytes.substr(0, 4000));
  expect_error(with_charsmap(b64), "its trie needs 177152 bytes, 3996 follow");
  expect_error(R"({"model": {"type": "Unigram", "vocab": [["a", 0]]},
                   "normalizer": {"type": "Precompiled", "precompiled_charsmap": null}})",
               "\"precompiled_charsmap\" must be a base64 string");
}

TEST(Precompiled, CharsmapWithItsStringsCutFailsOnLookup) {
  // The trie intact, the string pool cut to 10 bytes: entries point past it.
  std::string bytes = base64_decode(charsmap_of(data_dir() + "tokenizers/t5/tokenizer.json"), "charsmap");
  uint32_t trie = uint32_t(uint8_t(bytes[0])) | uint32_t(uint8_t(bytes[1])) << 8 | uint32_t(uint8_t(bytes[2])) << 16;
  bytes.resize(4 + trie + 10);
  nlohmann::json j = nlohmann::json::parse(read_file(data_dir() + "tokenizers/t5/tokenizer.json"));
  j["normalizer"]["precompiled_charsmap"] = base64_encode(bytes);
  Tokenizer t = Tokenizer::from_json(j.dump(), "cut.json");
  EXPECT_NO_THROW(t.encode("plain ascii"));
  try {
    t.encode("\xEF\xBC\xA8");  // Ｈ has an entry
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.json normalizer (Precompiled)"), std::string::npos) << e.what();
  }
}

TEST(Unigram, MalformedVocabulariesAreNamed) {
  const std::string u = R"({"model": {"type": "Unigram", )";
  expect_error(u + R"("unk_id": 0}})", "field \"vocab\" must be an array of [piece, score]");
  expect_error(u + R"("vocab": {"a": 0}}})", "field \"vocab\" must be an array");
  expect_error(u + R"("vocab": []}})", "field \"vocab\" is empty");
  expect_error(u + R"("vocab": [["a", -1], ["b"]]}})", "vocab entry 1 must be [piece, score]");
  expect_error(u + R"("vocab": [["a", -1], [2, -1]]}})", "vocab entry 1 must be [piece, score]");
  expect_error(u + R"("vocab": [["a", "-1"]]}})", "vocab entry 0 must be [piece, score]");
  expect_error(u + R"("vocab": [["a", -1, 3]]}})", "vocab entry 0 must be [piece, score]");
  expect_error(u + R"("vocab": ["a"]}})", "vocab entry 0 must be [piece, score]");
  expect_error(u + R"("vocab": [["a", -1]], "unk_id": 1}})", "\"unk_id\" must be an index into the 1-piece vocab");
  expect_error(u + R"("vocab": [["a", -1]], "unk_id": -1}})", "\"unk_id\"");
  expect_error(u + R"("vocab": [["a", -1]], "unk_id": "0"}})", "\"unk_id\"");
  expect_error(u + R"("vocab": [["a", -1]], "unk_id": 1e30}})", "\"unk_id\"");
  expect_error(u + R"("vocab": [["a", -1]], "byte_fallback": 1}})", "\"byte_fallback\" must be true or false");
  expect_error(u + R"("vocab": [["a", -1]]}, "post_processor": {"type": "RobertaProcessing",
                      "cls": ["<s>", 5], "sep": ["</s>", 6]}})",
               "out of range");
}

TEST(Unigram, LongInputIsLinear) {
  Tokenizer t = Tokenizer::from_file(data_dir() + "tokenizers/xlm_roberta/tokenizer.json");
  std::string corpus = read_file(std::string(FACET_SOURCE_DIR) + "/docs/tokenizers.md");
  std::string text;
  while (text.size() < 100000) text += corpus;
  text.resize(100000);
  while (!valid_utf8(text)) text.pop_back();
  // CPU time, so that other load on the machine does not count.
  auto cpu_ms = [](std::clock_t since) { return 1000.0 * double(std::clock() - since) / CLOCKS_PER_SEC; };
  std::clock_t start = std::clock();
  auto ids = t.encode(text, plain());
  double ms = cpu_ms(start);
  std::cout << "[ encode  ] " << text.size() << " bytes -> " << ids.size() << " tokens in " << ms << " ms CPU\n";
  EXPECT_GT(ids.size(), 10000u);
  // One word of 100 000 characters (no spaces to split at) stays linear too.
  std::string word(100000, 'a');
  start = std::clock();
  ids = t.encode(word, plain());
  ms = cpu_ms(start);
  std::cout << "[ encode  ] one 100000-byte word -> " << ids.size() << " tokens in " << ms << " ms CPU\n";
  EXPECT_LT(ms, 5000);
}

TEST(Grapheme, UnicodeBreakTests) {
  std::ifstream f(data_dir() + "unicode/GraphemeBreakTest.txt");
  ASSERT_TRUE(f.good());
  std::string line;
  int checked = 0;
  while (std::getline(f, line)) {
    line = line.substr(0, line.find('#'));
    if (line.empty()) continue;
    std::u32string s;
    std::vector<size_t> want;  // cluster ends
    std::istringstream in(line);
    std::string tok;
    while (in >> tok) {
      if (tok == "\xC3\xB7") {  // ÷
        if (!s.empty()) want.push_back(s.size());
      } else if (tok != "\xC3\x97") {  // ×
        s.push_back(static_cast<char32_t>(std::stoul(tok, nullptr, 16)));
      }
    }
    std::vector<size_t> got;
    for (size_t i = 0; i < s.size(); i = got.back()) got.push_back(grapheme_end(s, i));
    EXPECT_EQ(got, want) << line;
    ++checked;
  }
  EXPECT_GT(checked, 600);
  EXPECT_STREQ(grapheme_unicode_version(), "15.0.0");
}

TEST(Precompiled, HandWrittenRules) {
  // tests/fuzz/corpus/tokenizer_json/charsmap.bin: 'C' + the charsmap SentencePiece compiled from
  // the rules FF21->41, FF41->61, 41 301->C1, D A->20, D->20, FB03->66 66 69, 3000->20.
  std::string raw = read_file(std::string(FACET_SOURCE_DIR) + "/tests/fuzz/corpus/tokenizer_json/charsmap.bin");
  ASSERT_EQ(raw[0], 'C');
  PrecompiledCharsmap map(std::string_view(raw).substr(1), "charsmap.bin");
  auto norm = [&](const std::string& s) { return encode_utf8(map.normalize(decode_utf8(s))); };
  EXPECT_EQ(norm("\xEF\xBC\xA1\xEF\xBD\x81"), "Aa");            // Ａａ
  EXPECT_EQ(norm("A\xCC\x81"), "\xC3\x81");                     // A + U+0301 -> Á (a two-character key)
  EXPECT_EQ(norm("\xEF\xBC\xA1\xCC\x81"), "A");                 // Ａ + U+0301: Ａ's rule takes the cluster
  EXPECT_EQ(norm("B\xCC\x81"), "B\xCC\x81");                    // no rule
  EXPECT_EQ(norm("x\r\ny\rz"), "x y z");
  EXPECT_EQ(norm("\xEF\xAC\x83\xE3\x80\x80!"), "ffi !");        // ﬃ, U+3000
  EXPECT_EQ(map.transform("A"), std::nullopt);
  EXPECT_EQ(map.transform("\r\n"), std::optional<std::string_view>(" "));
}

TEST(FuzzSeeds, WellFormedSeedsLoadAndEncode) {
  const std::string dir = std::string(FACET_SOURCE_DIR) + "/tests/fuzz/corpus/tokenizer_json/";
  for (const char* name : {"unigram_xlm_roberta.json", "unigram_byte_fallback.json", "bpe.json", "wordpiece.json"}) {
    Tokenizer t = Tokenizer::from_file(dir + name);
    EXPECT_FALSE(t.encode("the hello ab\xEF\xBC\xA1", plain()).empty()) << name;
  }
  Tokenizer t5 = Tokenizer::from_file(dir + "unigram_t5.json");  // unk_id null
  EXPECT_EQ(ids_str(t5.encode("ab  ba\xEF\xBD\x81")), "6 5 3 2 2 1 ");  // ▁ab ▁ b a a </s> (ａ -> a)
  EXPECT_THROW(t5.encode("abc"), InputError);
  Tokenizer x = Tokenizer::from_file(dir + "unigram_xlm_roberta.json");
  EXPECT_EQ(x.decode(x.encode("the  \xEF\xBC\xA1" "bc")), "the Abc");
  EXPECT_THROW(Tokenizer::from_file(dir + "unigram_bad_vocab.json"), InputError);
}
