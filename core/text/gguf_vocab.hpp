// Tokenizers from GGUF metadata (tokenizer.ggml.*), assembled from the same parts as tokenizer.json:
//   model "llama" (SentencePiece BPE: LLaMA-1/2, Mistral, Vicuna): tokens, scores and token types.
//     Text is normalized as SentencePiece does ("▁" for spaces, one prepended unless
//     tokenizer.ggml.add_space_prefix is false); pieces merge by the score of the merged piece
//     (highest first, leftmost on ties), which is a BPE whose merges are every split of a NORMAL
//     token into two vocabulary tokens, ranked by that token's score; unknown characters fall
//     back to <0xXX> byte tokens.
//   model "gpt2" (byte-level BPE: LLaMA-3, Qwen2, GPT-2): tokens and tokenizer.ggml.merges; the
//     pre-tokenizer regex is chosen by tokenizer.ggml.pre ("default"/"gpt2", "llama-bpe"/"llama3",
//     "qwen2"); another value is an error naming it.
// CONTROL (3) and UNKNOWN (2) tokens become special added tokens (split only when asked),
// USER_DEFINED (4) ones plain added tokens. BOS/EOS come from tokenizer.ggml.bos_token_id /
// eos_token_id and tokenizer.ggml.add_bos_token (default: true for "llama", false for "gpt2") /
// add_eos_token.
#pragma once

#include "io/gguf.hpp"
#include "text/tokenizer.hpp"

namespace facet::text {

// Throws InputError naming the file and key when the metadata is missing or inconsistent.
Tokenizer tokenizer_from_gguf(const io::GgufFile& gguf);

}  // namespace facet::text
