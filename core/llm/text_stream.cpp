#include "llm/text_stream.hpp"

#include <algorithm>

namespace facet::llm {

std::string TextStream::push(int32_t token) {
  if (stopped_) return "";
  tokens_.push_back(token);
  text_ = tokenizer_.decode(tokens_);
  for (const auto& s : stops_) {
    if (s.empty()) continue;
    size_t at = text_.find(s);
    if (at != std::string::npos) {
      text_.resize(at);
      stopped_ = true;
    }
  }
  if (stopped_) return finish();
  // Hold back an unfinished character and the longest tail that begins some stop string.
  size_t safe = text_.size();
  if (safe >= 3 && text_.compare(safe - 3, 3, "\xEF\xBF\xBD") == 0) safe -= 3;
  size_t hold = 0;
  for (const auto& s : stops_)
    for (size_t n = std::min(s.empty() ? 0 : s.size() - 1, safe); n > hold; --n)
      if (text_.compare(safe - n, n, s, 0, n) == 0) {
        hold = n;
        break;
      }
  safe -= hold;
  if (safe <= printed_) return "";
  std::string out = text_.substr(printed_, safe - printed_);
  printed_ = safe;
  return out;
}

std::string TextStream::finish() {
  if (printed_ >= text_.size()) return "";
  std::string out = text_.substr(printed_);
  printed_ = text_.size();
  return out;
}

}  // namespace facet::llm
