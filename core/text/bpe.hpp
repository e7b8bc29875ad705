// The BPE model of tokenizer.json ("model": {"type": "BPE"}): a vocabulary, ranked merges, and
// the options that distinguish the families — byte-level alphabets (GPT-2, LLaMA-3, Qwen2,
// CLIP), SentencePiece-style byte fallback to <0xXX> tokens (LLaMA-2, Mistral), CLIP's "</w>"
// word-end suffix, continuing-subword prefixes, unknown-token fusing and ignore_merges.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace facet::text {

class BpeModel {
 public:
  BpeModel() = default;
  static BpeModel from_json(const nlohmann::json& model, const std::string& where);

  // Builds a model from a vocabulary (id = index) and merges given as token pairs in rank order.
  void set_vocab(std::vector<std::string> tokens, const std::string& where);
  void add_merge(const std::string& a, const std::string& b, const std::string& where);

  // Appends the ids of one pre-tokenized piece.
  void encode(std::u32string_view piece, std::vector<int32_t>& out) const;

  std::optional<int32_t> id(const std::string& token) const;
  const std::vector<std::string>& tokens() const { return tokens_; }

  std::optional<int32_t> unk;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  std::string prefix;  // continuing_subword_prefix
  std::string suffix;  // end_of_word_suffix

 private:
  struct Merge {
    int32_t rank;
    int32_t id;
  };
  static uint64_t key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  void merge_symbols(std::vector<int32_t>& ids) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_ids_[256];
  bool have_byte_ids_ = false;
};

}  // namespace facet::text
