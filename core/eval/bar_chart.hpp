// A horizontal bar chart of percentages as a standalone SVG file (benchmark summaries: MMVP,
// MMVP-VLM), one group of bars per category and one bar per series in each group, as the "Eyes
// Wide Shut?" figures compare models per visual pattern. With one series the last category (the
// average or total) is drawn in a second colour; with several, each series has its colour and a
// legend names them.
#pragma once

#include <string>
#include <vector>

namespace facet::eval {

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category, in percent
};

// Throws InputError when the file cannot be written, InternalError when a series has not one value
// per category.
void write_bar_chart_svg(const std::string& title, const std::vector<std::string>& categories,
                         const std::vector<BarSeries>& series, const std::string& path);

}  // namespace facet::eval
