// A progress bar on stderr: redrawn in place on a terminal, every 10% in a log.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

namespace facet::cli {

class Progress {
 public:
  Progress(std::string what, size_t total, bool quiet) : what_(std::move(what)), total_(total), quiet_(quiet), tty_(isatty(2)) {}
  void update(size_t done) {
    if (quiet_ || total_ == 0) return;
    const int pct = static_cast<int>(100 * done / total_);
    if (!tty_ && pct / 10 == last_ / 10 && done != total_) return;
    last_ = pct;
    const int bar = pct / 4;
    std::fprintf(stderr, "%s%s [%s%s] %zu/%zu %3d%%%s", tty_ ? "\r" : "", what_.c_str(), std::string(bar, '#').c_str(),
                 std::string(25 - bar, ' ').c_str(), done, total_, pct, tty_ && done != total_ ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  std::string what_;
  size_t total_;
  bool quiet_, tty_;
  int last_ = -100;
};

}  // namespace facet::cli
