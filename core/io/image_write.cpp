#include "io/image_write.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "io/atomic_write.hpp"
#include "util/error.hpp"

namespace facet::io {

namespace {

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

// A tEXt chunk: length, type, keyword NUL text, CRC over type and data.
std::vector<uint8_t> text_chunk(const std::string& keyword, const std::string& text) {
  if (keyword.empty() || keyword.size() > 79)
    throw InputError("PNG text keyword '" + keyword + "' must be 1 to 79 characters");
  for (unsigned char ch : keyword)
    if (ch < 32 || ch == 127) throw InputError("PNG text keyword '" + keyword + "' holds a control character");
  std::vector<uint8_t> body = {'t', 'E', 'X', 't'};
  body.insert(body.end(), keyword.begin(), keyword.end());
  body.push_back(0);
  for (unsigned char ch : text) body.push_back(ch == 0 ? ' ' : ch);
  std::vector<uint8_t> chunk;
  put_u32(chunk, static_cast<uint32_t>(body.size() - 4));
  chunk.insert(chunk.end(), body.begin(), body.end());
  put_u32(chunk, crc32(body.data(), body.size()));
  return chunk;
}

}  // namespace

std::vector<uint8_t> encode_png(const RgbImage& im, const PngText& text) {
  if (im.width < 1 || im.height < 1 || im.width > kMaxImageSide || im.height > kMaxImageSide ||
      im.pixels.size() != static_cast<size_t>(im.width * im.height * 3))
    throw InputError(image_size_error("PNG to write", im.width, im.height));
  std::vector<uint8_t> png;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  if (!stbi_write_png_to_func(sink, &png, static_cast<int>(im.width), static_cast<int>(im.height), 3, im.pixels.data(),
                              static_cast<int>(im.width * 3)))
    throw InternalError("PNG encoding failed");
  // Text chunks go right after IHDR (8-byte signature, then IHDR's 25 bytes).
  constexpr size_t after_ihdr = 8 + 25;
  std::vector<uint8_t> chunks;
  for (const auto& [k, v] : text) {
    auto c = text_chunk(k, v);
    chunks.insert(chunks.end(), c.begin(), c.end());
  }
  png.insert(png.begin() + after_ihdr, chunks.begin(), chunks.end());
  return png;
}

void write_png(const std::string& path, const RgbImage& image, const PngText& text) {
  const std::vector<uint8_t> bytes = encode_png(image, text);
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace facet::io
