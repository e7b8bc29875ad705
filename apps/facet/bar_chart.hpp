// A horizontal bar chart of percentages as a standalone SVG file (benchmark summaries: MMVP,
// MMVP-VLM). The last bar is drawn in a second colour (the average or total).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace facet::cli {

// Throws InputError when the file cannot be written.
void write_bar_chart_svg(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                         const std::string& path);

}  // namespace facet::cli
