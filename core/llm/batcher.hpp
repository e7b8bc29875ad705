// Batcher: continuous batching of replies on one VlmSession whose language model holds several
// slots (SessionOptions::slots). Threads call reply(); each request takes a free slot, its prompt
// is prefilled alone (images included), and from then on one token of every running request is
// decoded in one batched run (LlmSession::step) per step. New requests join between steps, a
// finished or cancelled one frees its slot at once; requests beyond the slots wait in order.
//
// A reply is what llm::reply() gives for the same prompt and options: the same sampler per
// request, the same stops and end ids. The text callbacks and keep_going run on the calling
// thread, never on the batcher's, so a slow reader does not hold up the others; a request whose
// keep_going says stop ends at the batcher's next step.
//
// The last slot is kept for exclusive(): work that needs the session to itself (grounding, a
// caller's own prefill) runs there between steps.
//
// Thread safety: reply() and exclusive() may be called from any number of threads. `gpu` is the
// device's mutex: the batcher holds it for each prefill and step, exclusive() for its call.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "llm/reply.hpp"

namespace facet::llm {

class Batcher {
 public:
  // `vlm`'s language model must hold at least 2 slots (SessionOptions::slots).
  Batcher(VlmSession& vlm, std::mutex& gpu);
  ~Batcher();  // cancels running requests, fails waiting ones, joins the thread
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Slots for reply() (the session's, less the one exclusive() keeps).
  int64_t slots() const { return slots_; }

  struct Times {
    double prefill_ms = 0;  // the prompt's prefill submission
  };
  // As llm::reply(vlm, prompt, pixels, chat, options), batched with the other threads' requests.
  // Errors of the prompt (too long, a bad image) are thrown here.
  Generation reply(const MediaPrompt& prompt, std::vector<HostTensor> pixels, const std::optional<ChatTemplate>& chat,
                   const ReplyOptions& options, Times* times = nullptr);
  // Runs fn with the session to itself, on the calling thread, in the kept slot, between steps.
  void exclusive(const std::function<void(VlmSession&)>& fn);

 private:
  struct Job;
  void loop();
  void admit(const std::shared_ptr<Job>& job, int64_t slot);
  void step();
  void finish(const std::shared_ptr<Job>& job, std::exception_ptr error = nullptr);

  VlmSession& vlm_;
  std::mutex& gpu_;
  std::mutex engine_;  // the session: the batcher's prefills and steps, exclusive() calls
  int64_t slots_ = 0;
  std::mutex m_;  // waiting_, stop_, and each job's pieces and outcome
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> waiting_;
  std::vector<std::shared_ptr<Job>> running_;  // the batcher thread's only
  std::vector<bool> busy_;                     // by slot; the batcher thread's only
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace facet::llm
