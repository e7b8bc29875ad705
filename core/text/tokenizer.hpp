// Tokenizer: Hugging Face's tokenizer.json pipeline re-implemented — added tokens split out
// first, then normalizer, pre-tokenizer, model (BPE, WordPiece or Unigram), post-processor
// (special tokens), and the decoder for the way back. Loaded from tokenizer.json; the GGUF vocabulary loader builds the
// same parts in code.
//
// Special-token literals in the text (for example "<s>" or "<|eot_id|>") stay plain text unless
// EncodeOptions::parse_special is set; added tokens that are not special always split.
// Added tokens are matched in the raw text (leftmost, longest), with their lstrip, rstrip and
// single_word flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "text/bpe.hpp"
#include "text/decoder.hpp"
#include "text/normalizer.hpp"
#include "text/pre_tokenizer.hpp"
#include "text/unigram.hpp"
#include "text/wordpiece.hpp"

namespace facet::text {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool lstrip = false, rstrip = false, single_word = false;
};

struct EncodeOptions {
  bool add_special = true;     // the post-processor's BOS/CLS/EOS tokens
  bool parse_special = false;  // special-token literals in the text become their tokens
  // With parse_special: byte ranges [begin, end) where literals stay text (user messages inside
  // a rendered chat template).
  std::vector<std::pair<size_t, size_t>> literal_spans;
};

class Tokenizer {
 public:
  // `text` is the content of a tokenizer.json; `where` (its path) prefixes errors.
  static Tokenizer from_json(std::string_view text, const std::string& where);
  static Tokenizer from_file(const std::string& path);

  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options = {}) const;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = true) const;

  std::optional<int32_t> token_id(const std::string& token) const;
  std::string token(int32_t id) const;  // "" for an unknown id
  int32_t vocab_size() const;           // largest id + 1
  bool is_special(int32_t id) const;

  // The parts (public so that other vocabulary formats can assemble a tokenizer).
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  std::variant<BpeModel, WordPieceModel, UnigramModel> model;
  Decoder decoder;
  std::vector<AddedToken> added;
  std::vector<int32_t> prefix_ids, suffix_ids;  // the post-processor for a single sequence

 private:
  void encode_plain(std::string_view text, bool first, std::vector<int32_t>& out) const;
};

}  // namespace facet::text
