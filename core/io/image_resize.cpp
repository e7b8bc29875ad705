#include "io/image_resize.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"
#include "util/resample.hpp"

namespace facet::io {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

struct FixedTaps {
  int64_t start;
  std::vector<int32_t> k;
};

std::vector<FixedTaps> fixed_taps(int64_t in, int64_t out, ResampleFilter filter) {
  std::vector<ResampleTaps> taps;
  if (filter == ResampleFilter::Bicubic)
    taps = resample_taps(in, out, 2.0, [](double x) { return cubic_kernel(x, -0.5); });
  else if (filter == ResampleFilter::Lanczos)
    taps = resample_taps(in, out, 3.0, [](double x) { return lanczos_kernel(x, 3.0); });
  else
    taps = resample_taps(in, out, 1.0, [](double x) { return std::max(0.0, 1.0 - std::fabs(x)); });
  std::vector<FixedTaps> fixed;
  fixed.reserve(taps.size());
  for (const ResampleTaps& t : taps) {
    FixedTaps f{t.start, {}};
    for (double w : t.w) {
      double scaled = w * (1 << kPrecisionBits);
      f.k.push_back(static_cast<int32_t>(w < 0 ? scaled - 0.5 : scaled + 0.5));
    }
    fixed.push_back(std::move(f));
  }
  return fixed;
}

uint8_t clip8(int32_t acc) { return static_cast<uint8_t>(std::clamp(acc >> kPrecisionBits, 0, 255)); }

RgbImage horizontal(const RgbImage& in, int64_t width, ResampleFilter filter) {
  std::vector<FixedTaps> taps = fixed_taps(in.width, width, filter);
  RgbImage out{width, in.height, std::vector<uint8_t>(static_cast<size_t>(width * in.height * 3))};
  for (int64_t y = 0; y < in.height; ++y) {
    const uint8_t* row = &in.pixels[static_cast<size_t>(y * in.width * 3)];
    for (int64_t x = 0; x < width; ++x) {
      const FixedTaps& t = taps[static_cast<size_t>(x)];
      for (int c = 0; c < 3; ++c) {
        int32_t acc = 1 << (kPrecisionBits - 1);
        for (size_t i = 0; i < t.k.size(); ++i) acc += row[(t.start + static_cast<int64_t>(i)) * 3 + c] * t.k[i];
        out.pixels[static_cast<size_t>((y * width + x) * 3 + c)] = clip8(acc);
      }
    }
  }
  return out;
}

RgbImage vertical(const RgbImage& in, int64_t height, ResampleFilter filter) {
  std::vector<FixedTaps> taps = fixed_taps(in.height, height, filter);
  RgbImage out{in.width, height, std::vector<uint8_t>(static_cast<size_t>(in.width * height * 3))};
  const int64_t stride = in.width * 3;
  for (int64_t y = 0; y < height; ++y) {
    const FixedTaps& t = taps[static_cast<size_t>(y)];
    for (int64_t e = 0; e < stride; ++e) {
      int32_t acc = 1 << (kPrecisionBits - 1);
      for (size_t i = 0; i < t.k.size(); ++i) acc += in.pixels[static_cast<size_t>((t.start + static_cast<int64_t>(i)) * stride + e)] * t.k[i];
      out.pixels[static_cast<size_t>(y * stride + e)] = clip8(acc);
    }
  }
  return out;
}

}  // namespace

RgbImage resize_like_pil(const RgbImage& image, int64_t width, int64_t height, ResampleFilter filter) {
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide)
    throw InputError("cannot resize an image to " + std::to_string(width) + "x" + std::to_string(height));
  if (filter != ResampleFilter::Bicubic && filter != ResampleFilter::Bilinear && filter != ResampleFilter::Lanczos)
    throw InputError("resampling filter " + std::to_string(static_cast<int>(filter)) +
                     " is not supported (1 lanczos, 2 bilinear, 3 bicubic)");
  RgbImage out = image;
  if (width != out.width) out = horizontal(out, width, filter);
  if (height != out.height) out = vertical(out, height, filter);
  return out;
}

}  // namespace facet::io
