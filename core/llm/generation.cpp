#include "llm/generation.hpp"

#include <algorithm>

#include "llm/text_stream.hpp"

namespace facet::llm {

Generation generate_reply(LlmSession& session, std::vector<float> logits, std::vector<int32_t> history,
                          const text::Tokenizer& tokenizer, const std::vector<int32_t>& end_ids, Sampler& sampler,
                          const std::vector<std::string>& stops, int max_tokens, const TextCallback& on_text,
                          const std::function<bool()>& keep_going) {
  Generation g;
  g.finish = Finish::Length;
  TextStream stream(tokenizer, stops);
  for (int i = 0; i < max_tokens && !stream.stopped(); ++i) {
    const int32_t next = sampler.sample(logits, history);
    if (std::find(end_ids.begin(), end_ids.end(), next) != end_ids.end()) {
      g.finish = Finish::Stop;
      break;
    }
    history.push_back(next);
    const std::string piece = stream.push(next);
    if (on_text && !piece.empty()) on_text(piece);
    if (stream.stopped()) g.finish = Finish::Stop;
    if (keep_going && !keep_going()) {
      g.finish = Finish::Cancelled;
      break;
    }
    if (i + 1 >= max_tokens || stream.stopped() || session.position() + 1 > session.context()) break;
    logits = session.feed({next});
    ++g.decode_steps;
    g.decode_ms += session.last_feed_ms();
  }
  const std::string rest = stream.finish();
  if (on_text && !rest.empty()) on_text(rest);
  g.tokens = stream.tokens();
  g.text = stream.text();
  return g;
}

}  // namespace facet::llm
