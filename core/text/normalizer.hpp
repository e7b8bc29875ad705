// Normalizers of tokenizer.json ("normalizer"): a chain of text transforms applied to each
// stretch of input between added tokens. Supported types: Sequence, NFC, NFD, Lowercase,
// Replace (String or Regex pattern), Prepend, Strip, StripAccents, BertNormalizer, Precompiled
// (SentencePiece's charsmap, text/precompiled_charsmap.hpp).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <vector>

namespace facet::text {

class Normalizer {
 public:
  Normalizer() = default;
  // `j` is the "normalizer" object (or null); `where` prefixes error messages.
  static Normalizer from_json(const nlohmann::json& j, const std::string& where);

  void apply(std::u32string& s) const {
    for (const auto& step : steps_) step(s);
  }
  bool empty() const { return steps_.empty(); }
  void add(std::function<void(std::u32string&)> step) { steps_.push_back(std::move(step)); }

 private:
  std::vector<std::function<void(std::u32string&)>> steps_;
};

}  // namespace facet::text
