// Decoders of tokenizer.json ("decoder"): turn token strings back into text. Supported types:
// Sequence, ByteLevel, Metaspace, Replace (String pattern), ByteFallback, Fuse, Strip,
// BPEDecoder (word-end suffix), WordPiece. Bytes that do not form valid UTF-8 become U+FFFD,
// as Hugging Face's lossy decoding does.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <vector>

namespace facet::text {

class Decoder {
 public:
  static Decoder from_json(const nlohmann::json& j, const std::string& where);
  // Token strings (UTF-8, possibly holding raw bytes after ByteLevel/ByteFallback) to text.
  std::string decode(std::vector<std::string> tokens) const;

  using Step = std::function<std::vector<std::string>(std::vector<std::string>)>;
  void add(Step step) { steps_.push_back(std::move(step)); }

 private:
  std::vector<Step> steps_;
};

// Replaces invalid UTF-8 sequences by U+FFFD.
std::string to_valid_utf8(const std::string& bytes);

}  // namespace facet::text
