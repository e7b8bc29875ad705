#include "bar_chart.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "util/error.hpp"

namespace facet::cli {

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

}  // namespace

void write_bar_chart_svg(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                         const std::string& path) {
  const int left = 260, bar_h = 22, gap = 8, width = 760, top = 50, plot_w = width - left - 70;
  const int height = top + static_cast<int>(bars.size()) * (bar_h + gap) + 40;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"sans-serif\" font-size=\"13\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" << xml_escape(title) << "</text>\n";
  for (int pct = 0; pct <= 100; pct += 25) {
    int x = left + plot_w * pct / 100;
    s << "<line x1=\"" << x << "\" y1=\"" << top - 6 << "\" x2=\"" << x << "\" y2=\"" << height - 34
      << "\" stroke=\"#ddd\"/>\n<text x=\"" << x << "\" y=\"" << height - 18 << "\" text-anchor=\"middle\" fill=\"#555\">"
      << pct << "</text>\n";
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    int y = top + static_cast<int>(i) * (bar_h + gap);
    int w = static_cast<int>(plot_w * bars[i].second / 100.0 + 0.5);
    const char* color = i + 1 == bars.size() ? "#d62728" : "#1f77b4";
    char value[16];
    std::snprintf(value, sizeof value, "%.1f", bars[i].second);
    s << "<text x=\"" << left - 8 << "\" y=\"" << y + bar_h - 6 << "\" text-anchor=\"end\">" << xml_escape(bars[i].first)
      << "</text>\n<rect x=\"" << left << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << bar_h
      << "\" fill=\"" << color << "\"/>\n<text x=\"" << left + w + 6 << "\" y=\"" << y + bar_h - 6 << "\">" << value
      << "</text>\n";
  }
  s << "</svg>\n";
  std::ofstream f(path, std::ios::binary);
  f << s.str();
  if (!f) throw InputError("cannot write '" + path + "'");
}

}  // namespace facet::cli
