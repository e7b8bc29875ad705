// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): split normalized text into the pieces the
// model encodes one by one. Supported types: Sequence, Split (String or Regex pattern, every
// behaviour, invert), ByteLevel (GPT-2 split and byte alphabet), Metaspace, Whitespace,
// WhitespaceSplit, BertPreTokenizer, Punctuation, Digits.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <vector>

namespace facet::text {

using Pieces = std::vector<std::u32string>;

class PreTokenizer {
 public:
  PreTokenizer() = default;
  static PreTokenizer from_json(const nlohmann::json& j, const std::string& where);

  // `first` is true for the stretch of input that starts the text (Metaspace's "first" scheme).
  Pieces apply(std::u32string text, bool first) const {
    Pieces pieces{std::move(text)};
    for (const auto& step : steps_) pieces = step(pieces, first);
    return pieces;
  }
  // A step maps all pieces to new pieces.
  using Step = std::function<Pieces(const Pieces&, bool first)>;
  void add(Step step) { steps_.push_back(std::move(step)); }
  bool byte_level() const { return byte_level_; }
  void set_byte_level() { byte_level_ = true; }

 private:
  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace facet::text
