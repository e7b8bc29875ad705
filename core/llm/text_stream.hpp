// TextStream: the text of generated tokens, released piece by piece for streaming. It holds back
// the bytes of an unfinished UTF-8 character (the decoder shows them as U+FFFD) and any tail that
// could still become a stop string, and reports when a stop string appears; the text then ends
// just before it.
#pragma once

#include <string>
#include <vector>

#include "text/tokenizer.hpp"

namespace facet::llm {

class TextStream {
 public:
  TextStream(const text::Tokenizer& tokenizer, std::vector<std::string> stops)
      : tokenizer_(tokenizer), stops_(std::move(stops)) {}

  // Adds a token; returns the text that is now safe to print (possibly empty).
  std::string push(int32_t token);
  // True once a stop string has appeared (push then returns nothing more).
  bool stopped() const { return stopped_; }
  // The rest of the text (at the end of generation).
  std::string finish();
  // The whole text so far (without a stop string and what follows it).
  const std::string& text() const { return text_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  const text::Tokenizer& tokenizer_;
  std::vector<std::string> stops_;
  std::vector<int32_t> tokens_;
  std::string text_;
  size_t printed_ = 0;
  bool stopped_ = false;
};

}  // namespace facet::llm
