#include "llm/generation.hpp"

#include <algorithm>

namespace facet::llm {

ReplyDecoder::ReplyDecoder(const text::Tokenizer& tokenizer, std::vector<int32_t> end_ids, Sampler& sampler,
                           const std::vector<std::string>& stops, int max_tokens, std::vector<int32_t> history,
                           TextCallback on_text, std::function<bool()> keep_going)
    : end_ids_(std::move(end_ids)),
      sampler_(sampler),
      max_tokens_(max_tokens),
      history_(std::move(history)),
      on_text_(std::move(on_text)),
      keep_going_(std::move(keep_going)),
      stream_(tokenizer, stops) {
  g_.finish = Finish::Length;
  done_ = max_tokens_ <= 0;
}

std::optional<int32_t> ReplyDecoder::next(const std::vector<float>& logits, bool room) {
  if (done_) return std::nullopt;
  const int32_t token = sampler_.sample(logits, history_);
  if (std::find(end_ids_.begin(), end_ids_.end(), token) != end_ids_.end()) {
    g_.finish = Finish::Stop;
    done_ = true;
    return std::nullopt;
  }
  history_.push_back(token);
  const std::string piece = stream_.push(token);
  if (on_text_ && !piece.empty()) on_text_(piece);
  if (stream_.stopped()) g_.finish = Finish::Stop;
  if (keep_going_ && !keep_going_()) {
    g_.finish = Finish::Cancelled;
    done_ = true;
    return std::nullopt;
  }
  done_ = ++count_ >= max_tokens_ || stream_.stopped() || !room;
  if (done_) return std::nullopt;
  return token;
}

Generation ReplyDecoder::finish() {
  const std::string rest = stream_.finish();
  if (on_text_ && !rest.empty()) on_text_(rest);
  g_.tokens = stream_.tokens();
  g_.text = stream_.text();
  return std::move(g_);
}

Generation generate_reply(LlmSession& session, std::vector<float> logits, std::vector<int32_t> history,
                          const text::Tokenizer& tokenizer, const std::vector<int32_t>& end_ids, Sampler& sampler,
                          const std::vector<std::string>& stops, int max_tokens, const TextCallback& on_text,
                          const std::function<bool()>& keep_going) {
  ReplyDecoder d(tokenizer, end_ids, sampler, stops, max_tokens, std::move(history), on_text, keep_going);
  while (auto token = d.next(logits, session.position() + 1 <= session.context())) {
    logits = session.feed({*token});
    d.fed(session.last_feed_ms());
  }
  return d.finish();
}

}  // namespace facet::llm
