#include "eval/bar_chart.hpp"

#include <cstdio>
#include <sstream>

#include "io/atomic_write.hpp"
#include "util/error.hpp"

namespace facet::eval {

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"};

}  // namespace

void write_bar_chart_svg(const std::string& title, const std::vector<std::string>& categories,
                         const std::vector<BarSeries>& series, const std::string& path) {
  for (const auto& s : series)
    if (s.values.size() != categories.size())
      throw InternalError("bar chart series '" + s.name + "' has " + std::to_string(s.values.size()) + " values for " +
                          std::to_string(categories.size()) + " categories");
  const bool single = series.size() == 1;
  const int n_series = static_cast<int>(series.size());
  const int left = 260, bar_h = single ? 22 : 16, group_gap = single ? 8 : 12, width = 760, plot_w = width - left - 70;
  const int legend_h = single ? 0 : 22 * ((n_series + 2) / 3);
  const int top = 50 + legend_h, group_h = n_series * bar_h + group_gap;
  const int height = top + static_cast<int>(categories.size()) * group_h + 40;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"sans-serif\" font-size=\"13\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" << xml_escape(title) << "</text>\n";
  if (!single)
    for (int k = 0; k < n_series; ++k) {
      const int x = 20 + (k % 3) * 245, y = 42 + (k / 3) * 22;
      s << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"14\" height=\"14\" fill=\"" << kPalette[k % 8]
        << "\"/>\n<text x=\"" << x + 20 << "\" y=\"" << y + 12 << "\">" << xml_escape(series[static_cast<size_t>(k)].name)
        << "</text>\n";
    }
  for (int pct = 0; pct <= 100; pct += 25) {
    int x = left + plot_w * pct / 100;
    s << "<line x1=\"" << x << "\" y1=\"" << top - 6 << "\" x2=\"" << x << "\" y2=\"" << height - 34
      << "\" stroke=\"#ddd\"/>\n<text x=\"" << x << "\" y=\"" << height - 18 << "\" text-anchor=\"middle\" fill=\"#555\">"
      << pct << "</text>\n";
  }
  for (size_t c = 0; c < categories.size(); ++c) {
    const int y0 = top + static_cast<int>(c) * group_h;
    s << "<text x=\"" << left - 8 << "\" y=\"" << y0 + n_series * bar_h / 2 + 5 << "\" text-anchor=\"end\">"
      << xml_escape(categories[c]) << "</text>\n";
    for (int k = 0; k < n_series; ++k) {
      const double v = series[static_cast<size_t>(k)].values[c];
      const int y = y0 + k * bar_h, w = static_cast<int>(plot_w * v / 100.0 + 0.5);
      const char* color = single ? (c + 1 == categories.size() ? "#d62728" : kPalette[0]) : kPalette[k % 8];
      char value[16];
      std::snprintf(value, sizeof value, "%.1f", v);
      s << "<rect x=\"" << left << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << bar_h - (single ? 0 : 2)
        << "\" fill=\"" << color << "\"/>\n<text x=\"" << left + w + 6 << "\" y=\"" << y + bar_h - (single ? 6 : 4)
        << "\"" << (single ? "" : " font-size=\"11\"") << ">" << value << "</text>\n";
    }
  }
  s << "</svg>\n";
  const std::string svg = s.str();
  io::write_file_atomic(path, svg.data(), svg.size());
}

}  // namespace facet::eval
