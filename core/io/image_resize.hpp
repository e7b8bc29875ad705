// PIL's Image.resize for 8-bit RGB images, bit for bit: separable filtering with the antialiased
// windows of util/resample.hpp, weights in 22-bit fixed point, the horizontal pass first with
// rounding to 8 bits between the passes, and a pass skipped when its size does not change.
#pragma once

#include "io/image.hpp"

namespace facet::io {

// PIL's resampling filter codes (PIL.Image.Resampling), as preprocessor_config.json stores them.
enum class ResampleFilter : int { Lanczos = 1, Bilinear = 2, Bicubic = 3 };

RgbImage resize_like_pil(const RgbImage& image, int64_t width, int64_t height, ResampleFilter filter);

}  // namespace facet::io
