#include "llm/batcher.hpp"

#include <algorithm>
#include <atomic>

#include "util/error.hpp"

namespace facet::llm {

struct Batcher::Job {
  // The request (read by the batcher thread).
  MediaPrompt prompt;
  std::vector<HostTensor> pixels;
  std::optional<ChatTemplate> chat;
  ReplyOptions options;
  // The batcher thread's.
  std::optional<Sampler> sampler;
  std::optional<ReplyDecoder> decoder;
  int64_t slot = -1;
  int32_t next = 0;  // the token to feed at the next step
  // Shared with the caller (under m_), and its cancellation.
  std::deque<std::string> pieces;
  bool done = false;
  std::exception_ptr error;
  Generation result;
  double prefill_ms = 0;
  std::condition_variable changed;
  std::atomic<bool> cancelled{false};
};

Batcher::Batcher(VlmSession& vlm, std::mutex& gpu) : vlm_(vlm), gpu_(gpu), slots_(vlm.llm().slots() - 1) {
  if (slots_ < 1) throw InternalError("a batcher needs a language model of at least 2 slots");
  busy_.assign(static_cast<size_t>(slots_), false);
  thread_ = std::thread([this] { loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Generation Batcher::reply(const MediaPrompt& prompt, std::vector<HostTensor> pixels, const std::optional<ChatTemplate>& chat,
                          const ReplyOptions& options, Times* times) {
  if (prompt.ids.empty()) throw InputError("the prompt has no tokens");
  auto job = std::make_shared<Job>();
  job->prompt = prompt;
  job->pixels = std::move(pixels);
  job->chat = chat;
  job->options = options;
  job->options.on_text = {};
  job->options.keep_going = {};
  std::unique_lock lock(m_);
  if (stop_) throw InputError("the model is closing");
  waiting_.push_back(job);
  wake_.notify_all();
  while (true) {
    job->changed.wait(lock, [&] { return !job->pieces.empty() || job->done; });
    while (!job->pieces.empty()) {
      const std::string piece = std::move(job->pieces.front());
      job->pieces.pop_front();
      lock.unlock();
      try {
        if (options.on_text) options.on_text(piece);
        if (options.keep_going && !options.keep_going()) job->cancelled = true;
      } catch (...) {  // the caller leaves: its reply ends at the next step
        job->cancelled = true;
        throw;
      }
      lock.lock();
    }
    if (job->done && job->pieces.empty()) break;
  }
  if (job->error) std::rethrow_exception(job->error);
  if (times) times->prefill_ms = job->prefill_ms;
  return std::move(job->result);
}

void Batcher::exclusive(const std::function<void(VlmSession&)>& fn) {
  std::lock_guard engine(engine_);
  std::lock_guard gpu(gpu_);
  vlm_.llm().use_slot(slots_);
  fn(vlm_);
}

void Batcher::finish(const std::shared_ptr<Job>& job, std::exception_ptr error) {
  Generation g;
  if (!error && job->decoder) g = job->decoder->finish();  // its last pieces go out first
  std::lock_guard lock(m_);
  job->error = error;
  job->result = std::move(g);
  job->done = true;
  job->changed.notify_all();
  if (job->slot >= 0) busy_[static_cast<size_t>(job->slot)] = false;
}

void Batcher::admit(const std::shared_ptr<Job>& job, int64_t slot) {
  job->slot = slot;  // marked busy by loop()
  try {
    std::vector<float> logits;
    {
      std::lock_guard engine(engine_);
      std::lock_guard gpu(gpu_);
      LlmSession& llm = vlm_.llm();
      llm.use_slot(slot);
      llm.reset();
      logits = vlm_.prefill(job->prompt.ids, job->pixels, job->prompt.instruction);
      job->prefill_ms = vlm_.last_prefill().submit_ms;
    }
    job->pixels.clear();
    job->sampler.emplace(job->options.sampler);
    Job* j = job.get();
    job->decoder.emplace(
        vlm_.tokenizer(), reply_end_ids(vlm_, job->chat), *job->sampler, job->options.stops, job->options.max_tokens,
        prompt_history(job->prompt),
        [this, j](const std::string& piece) {
          std::lock_guard lock(m_);
          j->pieces.push_back(piece);
          j->changed.notify_all();
        },
        [j] { return !j->cancelled.load(); });
    const int64_t context = vlm_.llm().context();
    const auto next = job->decoder->next(logits, static_cast<int64_t>(job->prompt.ids.size()) + 1 <= context);
    if (!next) return finish(job);
    job->next = *next;
    running_.push_back(job);
  } catch (...) {
    finish(job, std::current_exception());
  }
}

void Batcher::step() {
  std::vector<std::pair<int64_t, int32_t>> tokens;
  for (const auto& job : running_) tokens.emplace_back(job->slot, job->next);
  std::vector<std::vector<float>> logits;
  double ms = 0;
  std::vector<int64_t> positions;
  try {
    std::lock_guard engine(engine_);
    std::lock_guard gpu(gpu_);
    LlmSession& llm = vlm_.llm();
    logits = llm.step(tokens);
    ms = llm.last_feed_ms();
    for (const auto& job : running_) {
      llm.use_slot(job->slot);
      positions.push_back(llm.position());
    }
  } catch (...) {  // a device fault ends every running request with it
    for (const auto& job : running_) finish(job, std::current_exception());
    running_.clear();
    return;
  }
  const int64_t context = vlm_.llm().context();
  std::vector<std::shared_ptr<Job>> still;
  for (size_t i = 0; i < running_.size(); ++i) {
    const auto& job = running_[i];
    job->decoder->fed(ms);
    const auto next = job->decoder->next(logits[i], positions[i] + 1 <= context);
    if (next) {
      job->next = *next;
      still.push_back(job);
    } else {
      finish(job);
    }
  }
  running_ = std::move(still);
}

void Batcher::loop() {
  while (true) {
    std::vector<std::pair<std::shared_ptr<Job>, int64_t>> admitted;
    {
      std::unique_lock lock(m_);
      auto free_slot = [&] { return std::find(busy_.begin(), busy_.end(), false) - busy_.begin(); };
      wake_.wait(lock, [&] { return stop_ || !running_.empty() || (!waiting_.empty() && free_slot() < slots_); });
      if (stop_) {
        for (const auto& job : running_) job->cancelled = true;
        for (const auto& job : waiting_) {
          job->error = std::make_exception_ptr(InputError("the model is closing"));
          job->done = true;
          job->changed.notify_all();
        }
        waiting_.clear();
        if (running_.empty()) return;
      }
      for (int64_t s = free_slot(); !stop_ && !waiting_.empty() && s < slots_; s = free_slot()) {
        admitted.emplace_back(waiting_.front(), s);
        waiting_.pop_front();
        busy_[static_cast<size_t>(s)] = true;
      }
    }
    for (const auto& [job, slot] : admitted) admit(job, slot);
    if (!running_.empty()) step();
  }
}

}  // namespace facet::llm
