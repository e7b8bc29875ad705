#include "io/image.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "io/mapped_file.hpp"
#include "util/error.hpp"

namespace facet::io {

namespace {

bool is_png(const uint8_t* d, size_t n) { return n >= 8 && d[0] == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G'; }
bool is_jpeg(const uint8_t* d, size_t n) { return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF; }

// transformers' convert_to_rgb for images with alpha: PIL's alpha_composite onto opaque white,
// in PIL's fixed-point arithmetic (7 fractional bits, division by 255 through shifts).
uint8_t over_white(uint32_t c, uint32_t a) {
  const uint32_t coef1 = a << 7, coef2 = (255u - a) << 7;
  uint32_t t = c * coef1 + 255u * coef2 + (0x80u << 7);
  return static_cast<uint8_t>((((t >> 8) + t) >> 8) >> 7);
}

uint16_t rd16(const uint8_t* p, bool le) { return le ? static_cast<uint16_t>(p[0] | p[1] << 8) : static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p, bool le) {
  return le ? (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24)
            : (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]});
}

uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]}; }

RgbImage decode_png(const uint8_t* data, size_t size, const std::string& label) {
  // The IHDR chunk comes first: check the dimensions before stb_image allocates anything.
  if (size < 24 || std::memcmp(data + 12, "IHDR", 4) != 0) throw InputError("image '" + label + "' is a truncated PNG");
  const int64_t w = be32(data + 16), h = be32(data + 20);
  if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide || w * h > kMaxImagePixels)
    throw InputError(image_size_error(label, w, h));
  if (size > static_cast<size_t>(INT32_MAX)) throw InputError("image '" + label + "' is larger than 2 GiB");
  int iw = 0, ih = 0, channels = 0;
  const int len = static_cast<int>(size);
  if (!stbi_info_from_memory(data, len, &iw, &ih, &channels))
    throw InputError("image '" + label + "' is not a readable PNG: " + std::string(stbi_failure_reason()));
  const bool alpha = channels == 2 || channels == 4;
  std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load_from_memory(data, len, &iw, &ih, &channels, alpha ? 4 : 3),
                                               stbi_image_free);
  if (!px) throw InputError("image '" + label + "' could not be decoded: " + std::string(stbi_failure_reason()));
  RgbImage im;
  im.width = iw;
  im.height = ih;
  const size_t n = static_cast<size_t>(iw) * static_cast<size_t>(ih);
  im.pixels.resize(n * 3);
  if (alpha) {
    for (size_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) im.pixels[i * 3 + c] = over_white(px.get()[i * 4 + c], px.get()[i * 4 + 3]);
  } else {
    std::copy_n(px.get(), n * 3, im.pixels.data());
  }
  return im;
}

}  // namespace

std::string image_size_error(const std::string& label, int64_t w, int64_t h) {
  return "image '" + label + "' is " + std::to_string(w) + "x" + std::to_string(h) + " pixels; Facet reads images up to " +
         std::to_string(kMaxImageSide) + " pixels a side and " + std::to_string(kMaxImagePixels / 1'000'000) + " megapixels";
}

int jpeg_exif_orientation(const uint8_t* d, size_t n) {
  size_t pos = 2;  // after SOI
  while (pos + 4 <= n && d[pos] == 0xFF) {
    uint8_t marker = d[pos + 1];
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // image data: no more metadata
    size_t len = static_cast<size_t>(d[pos + 2]) << 8 | d[pos + 3];
    if (len < 2 || pos + 2 + len > n) break;
    const uint8_t* seg = d + pos + 4;
    size_t seg_len = len - 2;
    if (marker == 0xE1 && seg_len >= 14 && std::equal(seg, seg + 6, "Exif\0\0")) {
      const uint8_t* tiff = seg + 6;
      size_t tiff_len = seg_len - 6;
      bool le = tiff[0] == 'I' && tiff[1] == 'I';
      if (!le && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
      if (rd16(tiff + 2, le) != 42) return 1;
      uint32_t ifd = rd32(tiff + 4, le);
      if (ifd > tiff_len || tiff_len - ifd < 2) return 1;
      uint16_t entries = rd16(tiff + ifd, le);
      for (uint32_t i = 0; i < entries; ++i) {
        size_t e = ifd + 2 + size_t{i} * 12;
        if (e + 12 > tiff_len) return 1;
        if (rd16(tiff + e, le) == 0x0112) {
          uint16_t type = rd16(tiff + e + 2, le);
          uint16_t v = type == 3 ? rd16(tiff + e + 8, le) : 1;
          return v >= 1 && v <= 8 ? v : 1;
        }
      }
      return 1;
    }
    pos += 2 + len;
  }
  return 1;
}

RgbImage apply_orientation(const RgbImage& im, int orientation) {
  if (orientation <= 1 || orientation > 8) return im;
  const bool swap = orientation >= 5;  // 5..8 exchange width and height
  RgbImage out;
  out.width = swap ? im.height : im.width;
  out.height = swap ? im.width : im.height;
  out.pixels.resize(im.pixels.size());
  const int64_t W = im.width, H = im.height;
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x) {
      int64_t sx = 0, sy = 0;  // source pixel of output (x, y)
      switch (orientation) {
        case 2: sx = W - 1 - x, sy = y; break;                  // mirror left-right
        case 3: sx = W - 1 - x, sy = H - 1 - y; break;          // rotate 180
        case 4: sx = x, sy = H - 1 - y; break;                  // mirror top-bottom
        case 5: sx = y, sy = x; break;                          // transpose
        case 6: sx = y, sy = H - 1 - x; break;                  // rotate 90 clockwise
        case 7: sx = W - 1 - y, sy = H - 1 - x; break;          // transverse
        default: sx = W - 1 - y, sy = x; break;                 // 8: rotate 90 counter-clockwise
      }
      std::copy_n(&im.pixels[static_cast<size_t>((sy * W + sx) * 3)], 3, &out.pixels[static_cast<size_t>((y * out.width + x) * 3)]);
    }
  return out;
}

RgbImage decode_image(const uint8_t* data, size_t size, const std::string& label) {
  if (is_png(data, size)) return decode_png(data, size, label);
  if (is_jpeg(data, size)) return apply_orientation(decode_jpeg(data, size, label), jpeg_exif_orientation(data, size));
  throw InputError("image '" + label + "' is neither PNG nor JPEG (the only formats Facet reads)");
}

RgbImage load_image(const std::string& path) {
  auto file = MappedFile::open(path);
  return decode_image(file->data(), file->size(), path);
}

}  // namespace facet::io
