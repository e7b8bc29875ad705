// The CLIP tokenizer in the form diffusers folders ship it (tokenizer/ with vocab.json,
// merges.txt, tokenizer_config.json and no tokenizer.json): assembled into the same pipeline a
// CLIP tokenizer.json describes (NFC, whitespace runs to one space, lowercase; CLIP's word regex;
// byte-level BPE with the "</w>" word-end suffix; BOS ... EOS around every text), and the fixed
// 77-position padding text encoders of diffusion models are fed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "text/tokenizer.hpp"

namespace facet::text {

struct ClipTokenizer {
  Tokenizer tokenizer;
  int32_t bos = 0, eos = 0, pad = 0;
  int64_t max_length = 77;  // model_max_length

  // `path`: a folder with tokenizer.json, or with vocab.json + merges.txt (+ tokenizer_config.json),
  // or a tokenizer.json file. InputError naming the file on anything missing or malformed.
  static ClipTokenizer open(const std::string& path);

  // BOS, the text's tokens (cut so EOS still fits), EOS, then pad up to max_length: i32 [max_length].
  std::vector<int32_t> encode_padded(const std::string& text) const;
};

// A tokenizer.json object (as nlohmann-parsable text) equivalent to the vocab.json and merges.txt
// of `dir`, whose tokenizer_config.json names the special tokens.
std::string clip_tokenizer_json_from_vocab(const std::string& dir);

}  // namespace facet::text
