// libFuzzer target for image decoding (core/io/image: PNG through stb_image, JPEG through
// libjpeg-turbo with EXIF orientation): bytes decode, or InputError. A decoded image is within the
// size limits and has 3 bytes per pixel.
#include <cstdint>
#include <cstdlib>

#include "io/image.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facet::io;
  try {
    const RgbImage im = decode_image(data, size, "fuzz");
    if (im.width < 1 || im.height < 1 || im.width > kMaxImageSide || im.height > kMaxImageSide ||
        im.width * im.height > kMaxImagePixels || im.pixels.size() != static_cast<size_t>(im.width * im.height * 3))
      std::abort();
  } catch (const facet::InputError&) {
  }
  return 0;
}
