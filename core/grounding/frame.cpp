#include "grounding/frame.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace facet::grounding {

namespace {

// One axis of the chain: x -> x * s + o.
struct Axis {
  double s = 1, o = 0;
  void then(double scale, double offset) {
    s *= scale;
    o = o * scale + offset;
  }
};

double floordiv2(int64_t v) { return static_cast<double>(v >= 0 ? v / 2 : -((-v + 1) / 2)); }

}  // namespace

Frame Frame::identity(int64_t width, int64_t height) {
  Frame f;
  f.width = f.seen_width = static_cast<double>(width);
  f.height = f.seen_height = static_cast<double>(height);
  return f;
}

Frame Frame::from_processor(int64_t width, int64_t height, const io::ImageProcessorConfig& c, bool pad_to_square) {
  Axis ax, ay;
  int64_t w = width, h = height;
  if (pad_to_square) {  // io::expand_to_square: the image centred on a max(w, h) square
    const int64_t side = std::max(w, h);
    ax.then(1, static_cast<double>((side - w) / 2));
    ay.then(1, static_cast<double>((side - h) / 2));
    w = h = side;
  }
  if (c.do_resize) {
    auto [rh, rw] = io::resize_target(h, w, c);
    ax.then(static_cast<double>(rw) / static_cast<double>(w), 0);
    ay.then(static_cast<double>(rh) / static_cast<double>(h), 0);
    w = rw, h = rh;
  }
  if (c.do_center_crop) {  // io::center_crop: top-left at floor((size - crop) / 2)
    ax.then(1, -floordiv2(w - c.crop_width));
    ay.then(1, -floordiv2(h - c.crop_height));
    w = c.crop_width, h = c.crop_height;
  }
  Frame f = identity(width, height);
  f.seen_width = static_cast<double>(w);
  f.seen_height = static_cast<double>(h);
  f.sx = ax.s, f.ox = ax.o, f.sy = ay.s, f.oy = ay.o;
  return f;
}

Frame Frame::smart_resize(int64_t width, int64_t height, int64_t factor, int64_t min_pixels, int64_t max_pixels) {
  if (width < 1 || height < 1 || factor < 1 || min_pixels < 1 || max_pixels < min_pixels)
    throw InputError("smart_resize: image " + std::to_string(width) + "x" + std::to_string(height) + ", factor " +
                     std::to_string(factor) + ", pixels [" + std::to_string(min_pixels) + ", " + std::to_string(max_pixels) +
                     "] is not a valid request");
  const double h = static_cast<double>(height), w = static_cast<double>(width), f = static_cast<double>(factor);
  if (std::max(h, w) / std::min(h, w) > 200)
    throw InputError("smart_resize: an aspect ratio above 200 (" + std::to_string(width) + "x" + std::to_string(height) +
                     ") is refused, as Qwen2-VL's processor refuses it");
  // Python's round() rounds halves to even, as nearbyint does in the default rounding mode.
  double hb = std::max(f, std::nearbyint(h / f) * f), wb = std::max(f, std::nearbyint(w / f) * f);
  if (hb * wb > static_cast<double>(max_pixels)) {
    const double beta = std::sqrt(h * w / static_cast<double>(max_pixels));
    hb = std::max(f, std::floor(h / beta / f) * f);
    wb = std::max(f, std::floor(w / beta / f) * f);
  } else if (hb * wb < static_cast<double>(min_pixels)) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / (h * w));
    hb = std::ceil(h * beta / f) * f;
    wb = std::ceil(w * beta / f) * f;
  }
  Frame fr = identity(width, height);
  fr.seen_width = wb, fr.seen_height = hb;
  fr.sx = wb / w, fr.sy = hb / h;
  return fr;
}

Box Frame::to_original(const Box& b) const {
  Box o{(b.x1 - ox) / sx, (b.y1 - oy) / sy, (b.x2 - ox) / sx, (b.y2 - oy) / sy, b.clipped};
  auto cut = [&](double& v, double hi) {
    const double c = std::clamp(v, 0.0, hi);
    if (c != v) o.clipped = true;
    v = c;
  };
  cut(o.x1, width), cut(o.x2, width), cut(o.y1, height), cut(o.y2, height);
  return o;
}

Box Frame::to_seen(const Box& b) const {
  return Box{b.x1 * sx + ox, b.y1 * sy + oy, b.x2 * sx + ox, b.y2 * sy + oy, b.clipped};
}

}  // namespace facet::grounding
