// The Unigram model of tokenizer.json ("model": {"type": "Unigram"}; SentencePiece's, used by
// XLM-RoBERTa, Kosmos-2, T5): a vocabulary of [piece, log-probability] pairs. Each pre-tokenized
// piece is split into the vocabulary entries whose scores sum highest (Viterbi over a byte trie
// of the pieces, O(length x longest piece)), as Hugging Face's Unigram does it: candidates are
// tried by start position then length and replace the best only when strictly better; a
// character no piece starts with costs min score - 10 as the unknown token; consecutive unknowns
// fuse into one, which becomes <0xXX> byte pieces with byte_fallback (when all exist) or unk_id.
// Pieces of special added tokens ("<s>", "<mask>") are not matched inside text, as SentencePiece
// never matches its control pieces.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace facet::text {

class UnigramModel {
 public:
  static UnigramModel from_json(const nlohmann::json& model, const std::string& where);

  // Appends the ids of one pre-tokenized piece.
  void encode(std::u32string_view piece, std::vector<int32_t>& out) const;

  std::optional<int32_t> id(const std::string& token) const;
  const std::vector<std::string>& tokens() const { return tokens_; }
  double score(int32_t id) const { return scores_.at(id); }

  // The piece of `id` no longer matches inside text.
  void exclude_from_matching(int32_t id);

 private:
  void build_trie();
  int32_t child(int32_t node, uint8_t byte) const;
  std::optional<int32_t> lookup(const std::string& s) const;  // id unless excluded

  std::vector<std::string> tokens_;
  std::vector<double> scores_;
  std::vector<bool> excluded_;
  std::unordered_map<std::string, int32_t> vocab_;
  std::optional<int32_t> unk_;
  bool byte_fallback_ = false;
  double unk_score_ = 0;
  std::string where_;
  // The trie in breadth-first order: node n's children are [child_begin_[n], + child_count_[n]),
  // sorted by label_; value_ is the id of the piece ending there or -1.
  std::vector<uint32_t> child_begin_;
  std::vector<uint16_t> child_count_;
  std::vector<uint8_t> label_;
  std::vector<int32_t> value_;
};

}  // namespace facet::text
