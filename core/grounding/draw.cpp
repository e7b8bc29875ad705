#include "grounding/draw.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <vector>

namespace facet::grounding {

namespace {

// Distinct, saturated hues that read on light and dark backgrounds.
constexpr std::array<std::array<uint8_t, 3>, 10> kPalette = {{{230, 25, 75},
                                                              {60, 180, 75},
                                                              {0, 130, 200},
                                                              {245, 130, 48},
                                                              {145, 30, 180},
                                                              {70, 240, 240},
                                                              {240, 50, 230},
                                                              {210, 245, 60},
                                                              {250, 190, 212},
                                                              {0, 128, 128}}};

void fill(io::RgbImage& im, int64_t x0, int64_t y0, int64_t x1, int64_t y1, const std::array<uint8_t, 3>& c) {
  x0 = std::clamp<int64_t>(x0, 0, im.width), x1 = std::clamp<int64_t>(x1, 0, im.width);
  y0 = std::clamp<int64_t>(y0, 0, im.height), y1 = std::clamp<int64_t>(y1, 0, im.height);
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) std::copy(c.begin(), c.end(), &im.pixels[static_cast<size_t>((y * im.width + x) * 3)]);
}

std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x80) {
      if ((ch & 0xC0) == 0xC0) out += '?';  // one '?' per code point
    } else {
      out += ch >= 32 && ch < 127 ? static_cast<char>(ch) : ' ';
    }
  }
  return out;
}

// Text at (x, y) in font units times `scale`; stb_easy_font gives each glyph as axis-aligned quads.
void text(io::RgbImage& im, int64_t x, int64_t y, std::string s, int scale, const std::array<uint8_t, 3>& c) {
  std::vector<float> quads(s.size() * 64 * 4 + 64);
  const int n = stb_easy_font_print(0, 0, s.data(), nullptr, quads.data(), static_cast<int>(quads.size() * sizeof(float)));
  for (int q = 0; q < n; ++q) {
    const float* v = &quads[static_cast<size_t>(q) * 16];  // 4 vertices of (x, y, z, colour)
    const float qx0 = v[0], qy0 = v[1], qx1 = v[8], qy1 = v[9];
    fill(im, x + static_cast<int64_t>(qx0 * scale), y + static_cast<int64_t>(qy0 * scale), x + static_cast<int64_t>(qx1 * scale),
         y + static_cast<int64_t>(qy1 * scale), c);
  }
}

}  // namespace

std::array<uint8_t, 3> entity_colour(size_t index) { return kPalette[index % kPalette.size()]; }

io::RgbImage draw(const io::RgbImage& image, const Grounding& g, const DrawStyle& style) {
  io::RgbImage im = image;
  const int64_t side = std::min(im.width, im.height);
  const int line = style.line > 0 ? style.line : static_cast<int>(std::max<int64_t>(2, side / 160));
  const int scale = style.scale > 0 ? style.scale : static_cast<int>(std::clamp<int64_t>(side / 220, 1, 6));
  for (size_t e = 0; e < g.entities.size(); ++e) {
    const auto colour = entity_colour(e);
    for (const Box& b : g.entities[e].boxes) {
      const int64_t x0 = std::lround(b.x1), y0 = std::lround(b.y1), x1 = std::lround(b.x2), y1 = std::lround(b.y2);
      fill(im, x0, y0, x1, y0 + line, colour);
      fill(im, x0, y1 - line, x1, y1, colour);
      fill(im, x0, y0, x0 + line, y1, colour);
      fill(im, x1 - line, y0, x1, y1, colour);
    }
  }
  // Labels after every outline, so no box is drawn over a label.
  for (size_t e = 0; e < g.entities.size(); ++e) {
    const auto colour = entity_colour(e);
    const std::string label = printable(g.entities[e].phrase);
    if (label.empty()) continue;
    // Dark letters on light colours, white on dark ones.
    const double luma = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2];
    const std::array<uint8_t, 3> ink = luma > 150 ? std::array<uint8_t, 3>{0, 0, 0} : std::array<uint8_t, 3>{255, 255, 255};
    const int64_t w = static_cast<int64_t>(stb_easy_font_width(const_cast<char*>(label.c_str()))) * scale + 4 * scale;
    const int64_t h = 9 * scale + 2 * scale;
    for (const Box& b : g.entities[e].boxes) {
      int64_t x = std::clamp<int64_t>(std::lround(b.x1), 0, std::max<int64_t>(0, im.width - w));
      int64_t y = std::lround(b.y1) - h;
      if (y < 0) y = std::lround(b.y1) + line;  // no room above: inside the box
      fill(im, x, y, x + w, y + h, colour);
      text(im, x + 2 * scale, y + scale, label, scale, ink);
    }
  }
  return im;
}

}  // namespace facet::grounding
