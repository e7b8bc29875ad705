// The iterator behind Model.generate_stream: the generation runs on its own thread (which holds
// the Device while it runs), its pieces go through a queue, and __next__ waits for the next one
// with the GIL released. Closing the iterator (or dropping it) cancels the generation at its next
// token and joins the thread.
#pragma once

#include <facet/facet.hpp>
#include <pybind11/pybind11.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace facet {

class TextStreamIterator {
 public:
  using Run = std::function<Generation(const TextCallback&)>;

  explicit TextStreamIterator(Run run) {
    worker_ = std::thread([this, run = std::move(run)] {
      try {
        Generation g = run([this](const std::string& piece) {
          std::lock_guard lock(mutex_);
          pieces_.push_back(piece);
          ready_.notify_one();
          return !cancelled_;
        });
        std::lock_guard lock(mutex_);
        result_ = std::move(g);
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
      }
      std::lock_guard lock(mutex_);
      done_ = true;
      ready_.notify_one();
    });
  }
  ~TextStreamIterator() { close(); }

  std::string next() {
    std::unique_lock lock(mutex_);
    {
      pybind11::gil_scoped_release release;
      ready_.wait(lock, [this] { return !pieces_.empty() || done_; });
    }
    if (!pieces_.empty()) {
      std::string piece = std::move(pieces_.front());
      pieces_.pop_front();
      return piece;
    }
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      lock.unlock();
      std::rethrow_exception(e);
    }
    throw pybind11::stop_iteration();
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    if (worker_.joinable()) {
      pybind11::gil_scoped_release release;
      worker_.join();
    }
  }

  // After the stream ends: text, tokens, prompt_tokens, finish_reason.
  pybind11::object result_dict() {
    std::lock_guard lock(mutex_);
    if (!done_) return pybind11::none();
    pybind11::dict d;
    d["text"] = result_.text;
    d["tokens"] = result_.tokens;
    d["prompt_tokens"] = result_.prompt_tokens;
    d["finish_reason"] = result_.finish_reason;
    return d;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> pieces_;
  bool done_ = false, cancelled_ = false;
  std::exception_ptr error_;
  Generation result_;
  std::thread worker_;
};

}  // namespace facet
