// The image processors of Hugging Face model folders, read from preprocessor_config.json and
// reproduced step by step as their PIL-based ("slow") implementations run them:
// CLIPImageProcessor (CLIP, LLaVA) and BitImageProcessor (DINOv2). convert to RGB -> resize
// (shortest edge, an exact height/width, or with use_square_size (Kosmos-2) a square of the
// shortest edge) with PIL's filter -> center crop (zero padding when the
// crop is larger) -> rescale (f64 multiply, rounded to f32) -> normalize ((x - mean) / std in f32).
#pragma once

#include <array>
#include <string>

#include "graph/host_tensor.hpp"
#include "io/image.hpp"
#include "io/image_resize.hpp"

namespace facet::io {

struct ImageProcessorConfig {
  std::string type = "CLIPImageProcessor";
  bool do_resize = true;
  int64_t shortest_edge = 224;           // used when resize_height == 0
  int64_t resize_height = 0, resize_width = 0;
  ResampleFilter resample = ResampleFilter::Bicubic;
  bool do_center_crop = true;
  int64_t crop_height = 224, crop_width = 224;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<float, 3> mean = {0.48145466f, 0.4578275f, 0.40821073f};  // OPENAI_CLIP_MEAN
  std::array<float, 3> std = {0.26862954f, 0.26130258f, 0.27577711f};   // OPENAI_CLIP_STD

  // Parses preprocessor_config.json; fields it lacks keep the processor class's defaults. Throws
  // InputError naming `label` and the field on anything malformed or unsupported.
  static ImageProcessorConfig parse(const std::string& json_text, const std::string& label);
};

// The (height, width) an image is resized to before cropping.
std::pair<int64_t, int64_t> resize_target(int64_t height, int64_t width, const ImageProcessorConfig& config);

// HF's center_crop on an RGB image (pads with black when the crop exceeds the image).
RgbImage center_crop(const RgbImage& image, int64_t height, int64_t width);

// LLaVA-1.5's image_aspect_ratio = "pad": pads to a square with `background`, image centred.
RgbImage expand_to_square(const RgbImage& image, const std::array<uint8_t, 3>& background);

// The full pipeline: f32 [3, H, W] pixel values.
HostTensor preprocess_image(const RgbImage& image, const ImageProcessorConfig& config);

}  // namespace facet::io
