#include "text/gguf_vocab.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>

#include "util/error.hpp"

namespace facet::text {

namespace {

enum TokenType : int64_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

const char* const kLlama3Split =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
const char* const kQwen2Split =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

nlohmann::json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

nlohmann::json split_then_bytes(const char* pattern) {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
            byte_level(false)}}};
}

}  // namespace

Tokenizer tokenizer_from_gguf(const io::GgufFile& g) {
  const std::string where = "GGUF file '" + g.path() + "'";
  auto fail = [&](const std::string& key, const std::string& why) {
    return InputError(where + ": " + key + " " + why);
  };
  const std::string model = g.get_string("tokenizer.ggml.model").value_or("");
  if (model.empty()) throw fail("tokenizer.ggml.model", "is missing: the file has no vocabulary");
  if (model != "llama" && model != "gpt2")
    throw fail("tokenizer.ggml.model", "is '" + model + "', which is not supported (llama, gpt2)");
  const io::GgufValue* tokens_v = g.find("tokenizer.ggml.tokens");
  if (!tokens_v || !tokens_v->is_array_of(io::GgufType::String) || tokens_v->items.empty())
    throw fail("tokenizer.ggml.tokens", "must be a non-empty array of strings");
  const size_t n = tokens_v->items.size();
  std::vector<std::string> tokens(n);
  for (size_t i = 0; i < n; ++i) tokens[i] = tokens_v->items[i].s;
  std::vector<int64_t> types(n, kNormal);
  if (const io::GgufValue* t = g.find("tokenizer.ggml.token_type")) {
    if (t->type != io::GgufType::Array || t->items.size() != n || (n && !t->items[0].is_int()))
      throw fail("tokenizer.ggml.token_type", "must be an integer array as long as the tokens");
    for (size_t i = 0; i < n; ++i) types[i] = t->items[i].i;
  }
  auto token_id = [&](const char* key) -> std::optional<int32_t> {
    auto v = g.get_int(key);
    if (!v) return std::nullopt;
    if (*v < 0 || static_cast<uint64_t>(*v) >= n) throw fail(key, "= " + std::to_string(*v) + " is not a token id");
    return static_cast<int32_t>(*v);
  };

  Tokenizer tok;
  const bool spm = model == "llama";
  BpeModel& bpe = std::get<BpeModel>(tok.model);
  bpe.set_vocab(tokens, where + " tokenizer.ggml.tokens");
  if (spm) {
    const io::GgufValue* scores_v = g.find("tokenizer.ggml.scores");
    if (!scores_v || scores_v->type != io::GgufType::Array || scores_v->items.size() != n ||
        !(scores_v->items[0].is_float() || scores_v->items[0].is_int()))
      throw fail("tokenizer.ggml.scores", "must be a number array as long as the tokens");
    std::vector<double> scores(n);
    for (size_t i = 0; i < n; ++i) scores[i] = scores_v->items[i].is_float() ? scores_v->items[i].f : double(scores_v->items[i].i);
    // Merges: every split of a NORMAL token into two tokens, best-scored results first.
    std::vector<size_t> order;
    for (size_t i = 0; i < n; ++i)
      if (types[i] == kNormal && tokens[i].size() > 1) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    for (size_t i : order) {
      const std::string& t = tokens[i];
      for (size_t cut = 1; cut < t.size(); ++cut) {
        if ((static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) continue;  // inside a UTF-8 sequence
        std::string a = t.substr(0, cut), b = t.substr(cut);
        if (bpe.id(a) && bpe.id(b)) bpe.add_merge(a, b, where);
      }
    }
    bpe.byte_fallback = true;
    bpe.fuse_unk = true;
    bpe.unk = token_id("tokenizer.ggml.unknown_token_id");
    if (!bpe.unk)
      for (size_t i = 0; i < n; ++i)
        if (types[i] == kUnknown) bpe.unk = static_cast<int32_t>(i);
    const bool space_prefix = g.get_bool("tokenizer.ggml.add_space_prefix").value_or(true);
    nlohmann::json norm = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}};
    if (space_prefix)
      norm = {{"type", "Sequence"}, {"normalizers", {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}}, norm}}};
    tok.normalizer = Normalizer::from_json(norm, where + " normalizer");
    nlohmann::json dec = {{"type", "Sequence"},
                          {"decoders",
                           {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                            {{"type", "ByteFallback"}},
                            {{"type", "Fuse"}}}}};
    if (space_prefix) dec["decoders"].push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    tok.decoder = Decoder::from_json(dec, where + " decoder");
  } else {
    const io::GgufValue* merges = g.find("tokenizer.ggml.merges");
    if (!merges || !merges->is_array_of(io::GgufType::String))
      throw fail("tokenizer.ggml.merges", "must be an array of strings for a gpt2 vocabulary");
    for (const auto& m : merges->items) {
      size_t sp = m.s.find(' ', 1);
      if (sp == std::string::npos) throw fail("tokenizer.ggml.merges", "holds \"" + m.s + "\", which is not \"a b\"");
      bpe.add_merge(m.s.substr(0, sp), m.s.substr(sp + 1), where + " tokenizer.ggml.merges");
    }
    const std::string pre = g.get_string("tokenizer.ggml.pre").value_or("default");
    nlohmann::json pt;
    if (pre == "default" || pre == "gpt2") {
      pt = byte_level(true);
    } else if (pre == "llama-bpe" || pre == "llama3") {
      pt = split_then_bytes(kLlama3Split);
      bpe.ignore_merges = true;
    } else if (pre == "qwen2") {
      pt = split_then_bytes(kQwen2Split);
    } else {
      throw fail("tokenizer.ggml.pre", "is '" + pre + "', a pre-tokenizer Facet does not know (default, gpt2, llama-bpe, qwen2)");
    }
    tok.pre_tokenizer = PreTokenizer::from_json(pt, where + " pre-tokenizer");
    tok.decoder = Decoder::from_json(byte_level(true), where + " decoder");
  }
  for (size_t i = 0; i < n; ++i) {
    if (types[i] != kControl && types[i] != kUserDefined && types[i] != kUnknown) continue;
    if (tokens[i].empty()) continue;
    AddedToken a;
    a.content = tokens[i];
    a.id = static_cast<int32_t>(i);
    a.special = types[i] != kUserDefined;
    tok.added.push_back(a);
  }
  auto bos = token_id("tokenizer.ggml.bos_token_id"), eos = token_id("tokenizer.ggml.eos_token_id");
  if (g.get_bool("tokenizer.ggml.add_bos_token").value_or(spm)) {
    if (!bos) throw fail("tokenizer.ggml.add_bos_token", "is set but tokenizer.ggml.bos_token_id is missing");
    tok.prefix_ids = {*bos};
  }
  if (g.get_bool("tokenizer.ggml.add_eos_token").value_or(false)) {
    if (!eos) throw fail("tokenizer.ggml.add_eos_token", "is set but tokenizer.ggml.eos_token_id is missing");
    tok.suffix_ids = {*eos};
  }
  return tok;
}

}  // namespace facet::text
