#include "eval/comparison_table.hpp"

#include <algorithm>
#include <cstdio>

namespace facet::eval {

std::string comparison_table(const std::vector<std::string>& models, const std::vector<ComparisonRow>& rows) {
  int w = 7;
  for (const auto& r : rows) w = std::max(w, static_cast<int>(r.name.size()));
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %5s", w, "pattern", "pairs");
  out += line;
  std::vector<int> cw;
  for (const auto& m : models) {
    cw.push_back(std::max(7, static_cast<int>(m.size())));
    std::snprintf(line, sizeof line, "  %*s", cw.back(), m.c_str());
    out += line;
  }
  out += "\n";
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%-*s  %5s", w, r.name.c_str(), r.pairs.c_str());
    out += line;
    for (size_t m = 0; m < models.size() && m < r.values.size(); ++m) {
      std::snprintf(line, sizeof line, "  %*.1f%%", cw[m] - 1, r.values[m]);
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace facet::eval
