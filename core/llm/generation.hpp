// The decoding loop shared by facet generate, facet run, facet ground and facet mmvp: sample, stop
// at an end id or a stop string, stream the text, feed the token back.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "llm/llm_session.hpp"
#include "llm/sampler.hpp"
#include "llm/text_stream.hpp"
#include "text/tokenizer.hpp"

namespace facet::llm {

// Why a reply ended: an end id or stop string, max_tokens or the context, or keep_going.
enum class Finish { Stop, Length, Cancelled };

struct Generation {
  std::vector<int32_t> tokens;  // the new tokens (an end id or stop string not included)
  std::string text;             // their text, cut before a stop string
  int64_t decode_steps = 0;     // tokens fed back to the model
  double decode_ms = 0;         // wall time of those feeds
  Finish finish = Finish::Length;
};

// Receives the text as it is decided (whole UTF-8 characters, nothing past a stop string).
using TextCallback = std::function<void(const std::string&)>;

// One reply's decoding, token by token: samples from the logits after the last token fed, streams
// the text, and decides when the reply ends. The caller feeds each token it returns (alone, or in a
// batched step with other replies' tokens: Batcher) and hands back the logits after it.
class ReplyDecoder {
 public:
  ReplyDecoder(const text::Tokenizer& tokenizer, std::vector<int32_t> end_ids, Sampler& sampler,
               const std::vector<std::string>& stops, int max_tokens, std::vector<int32_t> history,
               TextCallback on_text = {}, std::function<bool()> keep_going = {});
  // The token to feed next, or nothing once the reply has ended. `room`: the context has a place
  // for one more token (else the reply ends with Finish::Length after this token).
  std::optional<int32_t> next(const std::vector<float>& logits, bool room);
  // Counts one feed of `ms` wall milliseconds (Generation::decode_steps, decode_ms).
  void fed(double ms) { ++g_.decode_steps, g_.decode_ms += ms; }
  bool done() const { return done_; }
  // The whole reply (sends the text still held back); call once, after done().
  Generation finish();

 private:
  const std::vector<int32_t> end_ids_;
  Sampler& sampler_;
  const int max_tokens_;
  std::vector<int32_t> history_;
  TextCallback on_text_;
  std::function<bool()> keep_going_;
  TextStream stream_;
  Generation g_;
  int count_ = 0;
  bool done_ = false;
};

// Up to `max_tokens` tokens after `logits` (the prompt's last logits); `history` is the prompt
// (for the repetition penalty). `keep_going`, asked after each new token, stops the reply when it
// returns false (cancellation: a library caller, a server client that went away).
Generation generate_reply(LlmSession& session, std::vector<float> logits, std::vector<int32_t> history,
                          const text::Tokenizer& tokenizer, const std::vector<int32_t>& end_ids, Sampler& sampler,
                          const std::vector<std::string>& stops, int max_tokens, const TextCallback& on_text = {},
                          const std::function<bool()>& keep_going = {});

}  // namespace facet::llm
