#include "generation.hpp"

#include <algorithm>
#include <iostream>

#include "llm/text_stream.hpp"

namespace facet::cli {

Generation generate_reply(llm::LlmSession& session, std::vector<float> logits, std::vector<int32_t> history,
                          const text::Tokenizer& tokenizer, const std::vector<int32_t>& end_ids, llm::Sampler& sampler,
                          const std::vector<std::string>& stops, int max_tokens, bool print) {
  Generation g;
  llm::TextStream stream(tokenizer, stops);
  for (int i = 0; i < max_tokens && !stream.stopped(); ++i) {
    const int32_t next = sampler.sample(logits, history);
    if (std::find(end_ids.begin(), end_ids.end(), next) != end_ids.end()) break;
    history.push_back(next);
    const std::string piece = stream.push(next);
    if (print) std::cout << piece << std::flush;
    if (i + 1 >= max_tokens || stream.stopped() || session.position() + 1 > session.context()) break;
    logits = session.feed({next});
    ++g.decode_steps;
    g.decode_ms += session.last_feed_ms();
  }
  const std::string rest = stream.finish();
  if (print) std::cout << rest << std::flush;
  g.tokens = stream.tokens();
  g.text = stream.text();
  return g;
}

}  // namespace facet::cli
