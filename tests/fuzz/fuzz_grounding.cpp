// libFuzzer target for the box-format parsers (core/grounding). The first byte picks the format
// (mod 6) and the frame (bit 3: LLaVA's pad-to-square + CLIP resize and crop of a 640x360 image,
// else the image itself); the rest is the model's text. Only invalid UTF-8 may throw (InputError);
// every box must come out in order and inside the original image, every span inside the text.
// Built as `fuzz_grounding` with -DFACET_FUZZ=ON (clang), and always as `fuzz_grounding_replay`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "grounding/formats.hpp"
#include "text/unicode.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facet::grounding;
  if (size == 0) return 0;
  static const Format formats[] = {Format::Kosmos2, Format::Shikra, Format::Qwen, Format::Qwen2, Format::Qwen25, Format::Florence2};
  facet::io::ImageProcessorConfig clip;
  clip.shortest_edge = 336;
  clip.crop_height = clip.crop_width = 336;
  const Frame frame = data[0] & 8 ? Frame::from_processor(640, 360, clip, true) : Frame::identity(640, 360);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const Grounding g = parse(formats[data[0] % 6], text, frame);
    const int64_t length = static_cast<int64_t>(facet::text::decode_utf8(g.text).size());
    for (const Entity& e : g.entities) {
      if (e.start < 0 || e.end < e.start || e.end > length) std::abort();
      for (const Box& b : e.boxes)
        if (!(b.x1 < b.x2) || !(b.y1 < b.y2) || b.x1 < 0 || b.y1 < 0 || b.x2 > 640 || b.y2 > 360) std::abort();
    }
  } catch (const facet::InputError&) {
    if (facet::text::valid_utf8(text)) std::abort();  // valid text must always parse
  }
  return 0;
}
