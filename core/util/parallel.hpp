// parallel_for: runs f(i) for i in [0, n) on up to every core (the calling thread included), each
// thread taking every k-th index. The first exception (by index) is rethrown after all finish.
// For CPU work between GPU submissions: decoding and preprocessing images, quantizing weights on
// load, tokenizing many texts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace facet {

template <typename F>
void parallel_for(size_t n, F&& f, size_t max_threads = 0) {
  size_t workers = std::max<size_t>(1, std::thread::hardware_concurrency());
  if (max_threads) workers = std::min(workers, max_threads);
  workers = std::min(workers, n);
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::vector<std::exception_ptr> errors(n);
  auto work = [&](size_t w) {
    for (size_t i = w; i < n; i += workers) {
      try {
        f(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w) threads.emplace_back(work, w);
  work(0);
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace facet
