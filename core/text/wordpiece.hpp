// The WordPiece model of tokenizer.json ("model": {"type": "WordPiece"}), BERT's: each
// pre-tokenized word is split greedily into the longest vocabulary entries from the left, every
// piece after the first looked up with the continuing-subword prefix ("##"). A word with a part
// that matches nothing, or longer than max_input_chars_per_word characters, becomes the unknown
// token as a whole.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace facet::text {

class WordPieceModel {
 public:
  static WordPieceModel from_json(const nlohmann::json& model, const std::string& where);

  // Appends the ids of one pre-tokenized word.
  void encode(std::u32string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> id(const std::string& token) const;
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> vocab_;
  int32_t unk_ = 0;
  std::string prefix_ = "##";
  size_t max_chars_ = 100;
};

}  // namespace facet::text
