// Several models' scores side by side as a text table (facet mmvp, facet mmvp-vlm): one row per
// visual pattern (and a closing total or average row), one percentage column per model.
#pragma once

#include <string>
#include <vector>

namespace facet::eval {

struct ComparisonRow {
  std::string name, pairs;     // pairs: shown as given ("" leaves the cell empty)
  std::vector<double> values;  // percent, one per model
};

std::string comparison_table(const std::vector<std::string>& models, const std::vector<ComparisonRow>& rows);

}  // namespace facet::eval
