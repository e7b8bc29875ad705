#include "text/tokenizer.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "text/json_fields.hpp"
#include "text/unicode.hpp"

namespace facet::text {

namespace {

// The post-processor of a single sequence as the ids before and after it.
void parse_post_processor(const nlohmann::json& j, const std::string& where, std::vector<int32_t>& prefix,
                          std::vector<int32_t>& suffix) {
  if (j.is_null()) return;
  std::string type = json_type(j, where);
  std::string here = where + " (" + type + ")";
  auto pair_id = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_array() || j[key].size() != 2 || !j[key][1].is_number_integer())
      throw InputError(here + ": field \"" + key + "\" must be [token, id]");
    return j[key][1].get<int32_t>();
  };
  if (type == "Sequence") {
    if (!j.contains("processors") || !j["processors"].is_array())
      throw InputError(here + ": field \"processors\" must be an array");
    for (const auto& p : j["processors"]) parse_post_processor(p, where, prefix, suffix);
  } else if (type == "ByteLevel") {
    // Only adjusts offsets.
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    prefix.push_back(pair_id("cls"));
    suffix.insert(suffix.begin(), pair_id("sep"));
  } else if (type == "TemplateProcessing") {
    if (!j.contains("single") || !j["single"].is_array())
      throw InputError(here + ": field \"single\" must be an array");
    const auto& specials = j.contains("special_tokens") ? j["special_tokens"] : nlohmann::json::object();
    bool seen_sequence = false;
    for (const auto& piece : j["single"]) {
      if (piece.contains("Sequence")) {
        seen_sequence = true;
        continue;
      }
      if (!piece.contains("SpecialToken") || !piece["SpecialToken"].contains("id"))
        throw InputError(here + ": a template piece must be Sequence or SpecialToken");
      std::string name = piece["SpecialToken"]["id"].get<std::string>();
      if (!specials.contains(name) || !specials[name].contains("ids") || !specials[name]["ids"].is_array())
        throw InputError(here + ": special token \"" + name + "\" has no ids in special_tokens");
      auto& dst = seen_sequence ? suffix : prefix;
      for (const auto& id : specials[name]["ids"]) dst.push_back(id.get<int32_t>());
    }
  } else {
    throw InputError(where + ": unsupported post_processor type \"" + type + "\"");
  }
}

bool is_word_char(char32_t c) { return is_letter(c) || is_number(c) || is_mark(c) || c == U'_'; }

}  // namespace

Tokenizer Tokenizer::from_json(std::string_view text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw InputError(where + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(where + " is not a JSON object");
  Tokenizer t;
  try {
    if (!j.contains("model") || !j["model"].is_object()) throw InputError(where + ": no \"model\" object");
    std::string type = json_string(j["model"], "type", "BPE", where + " model");
    if (type == "BPE")
      t.model = BpeModel::from_json(j["model"], where + " model");
    else if (type == "WordPiece")
      t.model = WordPieceModel::from_json(j["model"], where + " model");
    else if (type == "Unigram")
      t.model = UnigramModel::from_json(j["model"], where + " model");
    else
      throw InputError(where + ": model type \"" + type + "\" is not supported (BPE, WordPiece and Unigram are)");
    t.normalizer = Normalizer::from_json(j.value("normalizer", nlohmann::json()), where + " normalizer");
    t.pre_tokenizer = PreTokenizer::from_json(j.value("pre_tokenizer", nlohmann::json()), where + " pre_tokenizer");
    t.decoder = Decoder::from_json(j.value("decoder", nlohmann::json()), where + " decoder");
    parse_post_processor(j.value("post_processor", nlohmann::json()), where + " post_processor", t.prefix_ids,
                         t.suffix_ids);
    if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
      if (!j["added_tokens"].is_array()) throw InputError(where + ": \"added_tokens\" must be an array");
      for (const auto& a : j["added_tokens"]) {
        std::string here = where + " added_tokens";
        AddedToken tok;
        tok.content = json_string(a, "content", "", here);
        if (tok.content.empty() || !valid_utf8(tok.content)) throw InputError(here + ": a token has no valid content");
        if (!a.contains("id") || !a["id"].is_number_integer() || a["id"].get<int64_t>() < 0 ||
            a["id"].get<int64_t>() >= (int64_t{1} << 24))
          throw InputError(here + ": token \"" + tok.content + "\" has no valid id");
        tok.id = a["id"].get<int32_t>();
        tok.special = json_bool(a, "special", false, here);
        tok.lstrip = json_bool(a, "lstrip", false, here);
        tok.rstrip = json_bool(a, "rstrip", false, here);
        tok.single_word = json_bool(a, "single_word", false, here);
        t.added.push_back(std::move(tok));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": unexpected value: " + e.what());
  }
  if (auto* unigram = std::get_if<UnigramModel>(&t.model))
    for (const auto& a : t.added)
      if (a.special) unigram->exclude_from_matching(a.id);
  int32_t n = t.vocab_size();
  for (int32_t id : t.prefix_ids)
    if (id < 0 || id >= n) throw InputError(where + ": post_processor token id " + std::to_string(id) + " is out of range");
  for (int32_t id : t.suffix_ids)
    if (id < 0 || id >= n) throw InputError(where + ": post_processor token id " + std::to_string(id) + " is out of range");
  return t;
}

Tokenizer Tokenizer::from_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError("cannot open tokenizer file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return from_json(ss.str(), path);
}

void Tokenizer::encode_plain(std::string_view text, bool first, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  std::u32string s = decode_utf8(text, "the text to tokenize");
  normalizer.apply(s);
  for (const auto& piece : pre_tokenizer.apply(std::move(s), first))
    std::visit([&](const auto& m) { m.encode(piece, out); }, model);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  if (!valid_utf8(text)) decode_utf8(text, "the text to tokenize");  // throws with the offset
  std::vector<int32_t> ids;
  if (options.add_special) ids = prefix_ids;
  // Split out added tokens: at each position the longest token that matches wins.
  size_t start = 0, i = 0;
  bool first = true;
  while (i < text.size()) {
    const AddedToken* best = nullptr;
    bool literal = false;
    for (const auto& [b, e] : options.literal_spans) literal = literal || (i >= b && i < e);
    for (const auto& a : added) {
      if (a.special && (!options.parse_special || literal)) continue;
      if (text.compare(i, a.content.size(), a.content) != 0) continue;
      if (best && best->content.size() >= a.content.size()) continue;
      if (a.single_word) {
        auto before = decode_utf8(text.substr(0, i));
        auto after = decode_utf8(text.substr(i + a.content.size()));
        if ((!before.empty() && is_word_char(before.back())) || (!after.empty() && is_word_char(after.front())))
          continue;
      }
      best = &a;
    }
    if (!best) {
      ++i;
      continue;
    }
    size_t b = i, e = i + best->content.size();
    if (best->lstrip)
      while (b > start && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\n' || text[b - 1] == '\r')) --b;
    if (best->rstrip)
      while (e < text.size() && (text[e] == ' ' || text[e] == '\t' || text[e] == '\n' || text[e] == '\r')) ++e;
    encode_plain(text.substr(start, b - start), first, ids);
    ids.push_back(best->id);
    first = false;
    start = i = e;
  }
  encode_plain(text.substr(start), first, ids);
  if (options.add_special) ids.insert(ids.end(), suffix_ids.begin(), suffix_ids.end());
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::vector<std::string> tokens;
  for (int32_t id : ids) {
    if (skip_special && is_special(id)) continue;
    std::string t = token(id);
    if (!t.empty()) tokens.push_back(std::move(t));
  }
  return decoder.decode(std::move(tokens));
}

std::optional<int32_t> Tokenizer::token_id(const std::string& tok) const {
  for (const auto& a : added)
    if (a.content == tok) return a.id;
  return std::visit([&](const auto& m) { return m.id(tok); }, model);
}

std::string Tokenizer::token(int32_t id) const {
  for (const auto& a : added)
    if (a.id == id) return a.content;
  const auto& tokens = std::visit([](const auto& m) -> const std::vector<std::string>& { return m.tokens(); }, model);
  if (id < 0 || static_cast<size_t>(id) >= tokens.size()) return "";
  return tokens[id];
}

int32_t Tokenizer::vocab_size() const {
  int32_t n = static_cast<int32_t>(std::visit([](const auto& m) { return m.tokens().size(); }, model));
  for (const auto& a : added) n = std::max(n, a.id + 1);
  return n;
}

bool Tokenizer::is_special(int32_t id) const {
  for (const auto& a : added)
    if (a.id == id && a.special) return true;
  return false;
}

}  // namespace facet::text
