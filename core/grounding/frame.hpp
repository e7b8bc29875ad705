// Frame: how the image a model saw relates to the original image, so that coordinates a model
// writes (relative to what it saw) land on the original's pixels, and region boxes given in the
// original's pixels become the model's coordinates. Every preprocessing step Facet runs (pad to a
// square, resize, center crop, Qwen2-VL's smart resize) is an axis-aligned scale and shift, so the
// whole chain is one per axis: seen = original * scale + offset, in continuous pixel coordinates
// (pixel i covers [i, i + 1)).
#pragma once

#include <cstdint>

#include "grounding/box.hpp"
#include "io/image_processor.hpp"

namespace facet::grounding {

struct Frame {
  double width = 1, height = 1;            // the original image, pixels
  double seen_width = 1, seen_height = 1;  // the image the model saw, pixels
  double sx = 1, sy = 1, ox = 0, oy = 0;   // seen = original * s + o

  // The model saw the original itself.
  static Frame identity(int64_t width, int64_t height);
  // As a Hugging Face image processor prepares it: LLaVA's pad-to-square first when asked, then
  // resize (shortest edge or exact size), then center crop. Mirrors io::preprocess_image.
  static Frame from_processor(int64_t width, int64_t height, const io::ImageProcessorConfig& config, bool pad_to_square);
  // Qwen2-VL / Qwen2.5-VL's smart_resize: sides rounded to multiples of `factor`, the area brought
  // within [min_pixels, max_pixels] keeping the aspect ratio. InputError for an impossible size.
  static Frame smart_resize(int64_t width, int64_t height, int64_t factor = 28, int64_t min_pixels = 56 * 56,
                            int64_t max_pixels = 28 * 28 * 1280);

  // A box in the seen image's pixels -> the original's, cut to the original (flagged when cut).
  Box to_original(const Box& seen) const;
  // A box in the original's pixels -> the seen image's.
  Box to_seen(const Box& original) const;
};

}  // namespace facet::grounding
