// Writing images: 8-bit RGB PNG, with optional tEXt chunks (keyword, text) — e.g. the parameters
// that made a generated image, as other tools record them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io/image.hpp"

namespace facet::io {

using PngText = std::vector<std::pair<std::string, std::string>>;

// The PNG file's bytes. Keywords must be 1-79 Latin-1 printable characters (InputError otherwise).
std::vector<uint8_t> encode_png(const RgbImage& image, const PngText& text = {});
// Writes encode_png's bytes to `path` through a temporary file renamed into place, so a failure
// never leaves a partial file; InputError naming the path when it cannot be written.
void write_png(const std::string& path, const RgbImage& image, const PngText& text = {});

}  // namespace facet::io
