#include "text/wordpiece.hpp"

#include <nlohmann/json.hpp>

#include "text/json_fields.hpp"
#include "text/unicode.hpp"

namespace facet::text {

WordPieceModel WordPieceModel::from_json(const nlohmann::json& m, const std::string& where) {
  WordPieceModel wp;
  wp.tokens_ = vocab_from_json(m, where);
  for (size_t i = 0; i < wp.tokens_.size(); ++i)
    if (!wp.tokens_[i].empty()) wp.vocab_.emplace(wp.tokens_[i], static_cast<int32_t>(i));
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
