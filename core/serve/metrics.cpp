#include "serve/metrics.hpp"

#include <sstream>

namespace facet::serve {

void Metrics::request(const std::string& endpoint, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
}

void Metrics::error(const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++errors_[kind];
}

void Metrics::generated(int64_t tokens, double seconds) {
  std::lock_guard lock(mutex_);
  tokens_ += tokens;
  generation_seconds_ += seconds;
}

void Metrics::first_token(double seconds) {
  std::lock_guard lock(mutex_);
  ttft_sum_ += seconds;
  ++ttft_count_;
}

void Metrics::set_in_flight(int64_t n) {
  std::lock_guard lock(mutex_);
  in_flight_ = n;
}

std::string Metrics::text() const {
  std::lock_guard lock(mutex_);
  std::ostringstream s;
  s << "# HELP facet_requests_total HTTP requests answered, by endpoint and status.\n"
       "# TYPE facet_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    s << "facet_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
  s << "# HELP facet_errors_total Requests that failed, by kind.\n# TYPE facet_errors_total counter\n";
  for (const auto& [kind, n] : errors_) s << "facet_errors_total{kind=\"" << kind << "\"} " << n << "\n";
  s << "# HELP facet_requests_in_flight Requests running or waiting for the device.\n"
       "# TYPE facet_requests_in_flight gauge\nfacet_requests_in_flight "
    << in_flight_ << "\n";
  s << "# HELP facet_generated_tokens_total Tokens generated.\n# TYPE facet_generated_tokens_total counter\n"
       "facet_generated_tokens_total "
    << tokens_ << "\n";
  s << "# HELP facet_generation_seconds_total Time spent generating them (tokens/s = the ratio of the two).\n"
       "# TYPE facet_generation_seconds_total counter\nfacet_generation_seconds_total "
    << generation_seconds_ << "\n";
  s << "# HELP facet_time_to_first_token_seconds From a request's arrival to its first token.\n"
       "# TYPE facet_time_to_first_token_seconds summary\nfacet_time_to_first_token_seconds_sum "
    << ttft_sum_ << "\nfacet_time_to_first_token_seconds_count " << ttft_count_ << "\n";
  return s.str();
}

}  // namespace facet::serve
