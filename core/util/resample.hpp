// Separable resampling windows with an antialiasing support that widens when shrinking, the
// scheme of PIL's Image.resize and PyTorch's interpolate(..., antialias=True): output i covers
// input centre scale * (i + 0.5), scale = in / out; the filter is stretched by scale when
// scale > 1; taps outside the input are dropped and the rest renormalized to sum 1.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace facet {

// Keys' cubic convolution kernel with parameter a (PIL and PyTorch-antialias use a = -0.5).
inline double cubic_kernel(double x, double a) {
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// Lanczos window of half-width a: sinc(x) sinc(x / a) inside (-a, a) (PIL's LANCZOS: a = 3).
inline double lanczos_kernel(double x, double a) {
  auto sinc = [](double v) {
    if (v == 0.0) return 1.0;
    v *= M_PI;
    return std::sin(v) / v;
  };
  return (x >= -a && x < a) ? sinc(x) * sinc(x / a) : 0.0;  // PIL includes -a
}

struct ResampleTaps {
  int64_t start = 0;          // first input index
  std::vector<double> w;      // normalized weights of inputs start, start + 1, ...
};

// One window per output index for a filter of half-width `radius` (2 for bicubic).
template <class Filter>
std::vector<ResampleTaps> resample_taps(int64_t in_size, int64_t out_size, double radius, Filter filter) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double fscale = std::max(scale, 1.0);
  const double support = radius * fscale;
  std::vector<ResampleTaps> taps(static_cast<size_t>(out_size));
  for (int64_t i = 0; i < out_size; ++i) {
    const double center = scale * (static_cast<double>(i) + 0.5);
    int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in_size);
    ResampleTaps& t = taps[static_cast<size_t>(i)];
    t.start = lo;
    double total = 0.0;
    for (int64_t j = lo; j < hi; ++j) {
      double w = filter((static_cast<double>(j) - center + 0.5) * (1.0 / fscale));
      t.w.push_back(w);
      total += w;
    }
    if (total != 0.0)
      for (double& w : t.w) w /= total;
  }
  return taps;
}

}  // namespace facet
