// The counters `facet serve` exposes at GET /metrics in Prometheus' text format: requests by
// endpoint and status, errors by kind, requests waiting or running, generated tokens and the time
// spent generating them, and time to first token. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace facet::serve {

class Metrics {
 public:
  void request(const std::string& endpoint, int status);
  void error(const std::string& kind);  // "bad_request", "auth", "overloaded", "model", "internal", ...
  void generated(int64_t tokens, double seconds);
  void first_token(double seconds);
  void set_in_flight(int64_t n);
  std::string text() const;  // the exposition format

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, int64_t> errors_;
  int64_t tokens_ = 0, in_flight_ = 0, ttft_count_ = 0;
  double generation_seconds_ = 0, ttft_sum_ = 0;
};

}  // namespace facet::serve
