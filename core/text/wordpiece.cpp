#include "text/wordpiece.hpp"

#include <nlohmann/json.hpp>

#include "text/json_fields.hpp"
#include "text/unicode.hpp"

namespace facet::text {

WordPieceModel WordPieceModel::from_json(const nlohmann::json& m, const std::string& where) {
  WordPieceModel wp;
  if (!m.contains("vocab") || !m["vocab"].is_object()) throw InputError(where + ": field \"vocab\" must be an object");
  int64_t max_id = -1;
  for (const auto& [tok, id] : m["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (int64_t{1} << 24))
      throw InputError(where + ": vocab entry \"" + tok + "\" has no valid id");
    max_id = std::max<int64_t>(max_id, id.get<int64_t>());
  }
  wp.tokens_.resize(static_cast<size_t>(max_id + 1));
  for (const auto& [tok, id] : m["vocab"].items()) {
    std::string& slot = wp.tokens_[id.get<size_t>()];
    if (!slot.empty()) throw InputError(where + ": id " + std::to_string(id.get<int64_t>()) + " is given to \"" + slot + "\" and \"" + tok + "\"");
    slot = tok;
    wp.vocab_.emplace(tok, id.get<int32_t>());
  }
  const std::string unk = json_string(m, "unk_token", "[UNK]", where);
  auto u = wp.id(unk);
  if (!u) throw InputError(where + ": unk_token \"" + unk + "\" is not in the vocabulary");
  wp.unk_ = *u;
  wp.prefix_ = json_string(m, "continuing_subword_prefix", "##", where);
  if (m.contains("max_input_chars_per_word") && !m["max_input_chars_per_word"].is_null()) {
    const auto& v = m["max_input_chars_per_word"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1)
      throw InputError(where + ": field \"max_input_chars_per_word\" must be a positive integer");
    wp.max_chars_ = v.get<size_t>();
  }
  return wp;
}

std::optional<int32_t> WordPieceModel::id(const std::string& token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void WordPieceModel::encode(std::u32string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() > max_chars_) {
    out.push_back(unk_);
    return;
  }
  std::vector<int32_t> pieces;
  for (size_t start = 0; start < word.size();) {
    std::optional<int32_t> found;
    size_t end = word.size();
    for (; end > start; --end) {
      std::string piece = (start > 0 ? prefix_ : std::string()) + encode_utf8(word.substr(start, end - start));
      if ((found = id(piece))) break;
    }
    if (!found) {
      out.push_back(unk_);
      return;
    }
    pieces.push_back(*found);
    start = end;
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}

}  // namespace facet::text
