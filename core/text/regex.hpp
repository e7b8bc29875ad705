// A small backtracking regular-expression engine over code points, for the Split
// pre-tokenizers of tokenizer.json files (GPT-2, LLaMA-3, Qwen2, CLIP and similar patterns).
// Semantics follow Oniguruma, which Hugging Face tokenizers uses: leftmost match, alternatives
// tried in order (first that lets the whole pattern match wins), greedy or lazy quantifiers.
// Supported: literals and escapes (\r \n \t \f \v \x{..} \uXXXX \\ \. ...), `.`, classes
// `[...]` with ranges and negation, \s \S \d \D \w \W, \p{..} \P{..} (general categories and
// their one-letter groups), groups `(...)` `(?:...)` `(?i:...)`, lookahead `(?=...)` `(?!...)`,
// quantifiers `? * + {n} {n,} {n,m}` and their lazy forms. Anything else is rejected with an
// InputError naming the construct and its offset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace facet::text {

class Regex {
 public:
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Leftmost match starting at or after `from`; false when there is none. Empty matches are
  // reported (callers advance past them).
  bool search(std::u32string_view s, size_t from, size_t& start, size_t& end) const;
  const std::string& pattern() const { return pattern_; }

  struct Node;

 private:
  std::string pattern_;
  std::unique_ptr<Node> root_;
};

}  // namespace facet::text
