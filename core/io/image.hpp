// Image files: PNG and JPEG decoded to 8-bit RGB the way Hugging Face's load_image + PIL do it:
// the EXIF orientation of a JPEG is applied (ImageOps.exif_transpose); images that are not RGB
// (gray, gray + alpha, palette, RGBA) are converted as transformers' convert_to_rgb does, by
// alpha-compositing onto white. Dimensions are checked before any pixel is decoded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace facet::io {

// 8-bit RGB, row-major, 3 bytes per pixel.
struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;
};

inline constexpr int64_t kMaxImageSide = 32768;
inline constexpr int64_t kMaxImagePixels = 100'000'000;

// Throws InputError naming `label` on anything that is not a readable PNG or JPEG within the limits.
RgbImage decode_image(const uint8_t* data, size_t size, const std::string& label);
RgbImage load_image(const std::string& path);

// The EXIF orientation (1..8) of a JPEG's APP1 segment; 1 when there is none or it is unreadable.
int jpeg_exif_orientation(const uint8_t* data, size_t size);

// PNG through stb_image; JPEG through libjpeg-turbo (image_jpeg.cpp), as PIL decodes it.
RgbImage decode_jpeg(const uint8_t* data, size_t size, const std::string& label);
std::string image_size_error(const std::string& label, int64_t width, int64_t height);

// PIL's Image.transpose for EXIF orientations 2..8 (1 returns the image unchanged).
RgbImage apply_orientation(const RgbImage& image, int orientation);

}  // namespace facet::io
