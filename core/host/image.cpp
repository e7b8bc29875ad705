// facet::Image: decoding and encoding through core/io (PNG, JPEG in; PNG out).
#include <facet/facet.hpp>

#include "host/model_state.hpp"
#include "io/image.hpp"
#include "io/image_write.hpp"

namespace facet {

Image Image::load(const std::string& path) { return from_rgb(io::load_image(path)); }

Image Image::decode(const uint8_t* data, size_t size, const std::string& label) {
  return from_rgb(io::decode_image(data, size, label));
}

void Image::save_png(const std::string& path) const { io::write_png(path, to_rgb(*this)); }

std::vector<uint8_t> Image::encode_png() const { return io::encode_png(to_rgb(*this)); }

}  // namespace facet
