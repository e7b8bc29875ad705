#include "grounding/formats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "util/error.hpp"

namespace facet::grounding {

namespace {

struct Named {
  Format format;
  const char* name;
};
constexpr Named kNames[] = {{Format::Kosmos2, "kosmos2"}, {Format::Shikra, "shikra"},   {Format::Qwen, "qwen"},
                            {Format::Qwen2, "qwen2"},     {Format::Qwen25, "qwen2.5"}, {Format::Florence2, "florence2"}};

std::string printf_string(const char* fmt, double a, double b, double c, double d) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

}  // namespace

Format parse_format(const std::string& name) {
  for (const Named& n : kNames)
    if (name == n.name) return n.format;
  throw InputError("unknown box format '" + name + "' (kosmos2, shikra, qwen, qwen2, qwen2.5, florence2)");
}

const char* format_name(Format format) {
  for (const Named& n : kNames)
    if (n.format == format) return n.name;
  return "?";
}

Format format_for_model_type(const std::string& t) {
  if (t == "kosmos-2") return Format::Kosmos2;
  if (t == "qwen2_vl") return Format::Qwen2;
  if (t == "qwen2_5_vl") return Format::Qwen25;
  if (t == "qwen" || t == "qwen_vl") return Format::Qwen;
  if (t == "florence2") return Format::Florence2;
  return Format::Shikra;
}

Grounding parse(Format format, const std::string& text, const Frame& frame) {
  switch (format) {
    case Format::Kosmos2: return parse_kosmos2(text, frame);
    case Format::Shikra: return parse_shikra(text, frame);
    case Format::Qwen: return parse_qwen(text, frame, false);
    case Format::Qwen2: return parse_qwen(text, frame, true);
    case Format::Qwen25: return parse_qwen25(text, frame);
    case Format::Florence2: return parse_florence2(text, frame);
  }
  throw InternalError("grounding::parse: unknown format");
}

std::string emit_box(Format format, const Box& original, const Frame& frame) {
  if (!(original.x1 < original.x2) || !(original.y1 < original.y2) || original.x1 < 0 || original.y1 < 0 ||
      original.x2 > frame.width || original.y2 > frame.height)
    throw InputError("region " + printf_string("%g,%g,%g,%g", original.x1, original.y1, original.x2, original.y2) +
                     " is not a box x1 < x2, y1 < y2 inside the " + printf_string("%gx%g image", frame.width, frame.height, 0, 0));
  const Box b = frame.to_seen(original);
  // Fractions of the seen image, kept inside it.
  const double fx1 = std::clamp(b.x1 / frame.seen_width, 0.0, 1.0), fy1 = std::clamp(b.y1 / frame.seen_height, 0.0, 1.0);
  const double fx2 = std::clamp(b.x2 / frame.seen_width, 0.0, 1.0), fy2 = std::clamp(b.y2 / frame.seen_height, 0.0, 1.0);
  auto grid = [](double f) { return std::round(f * 1000.0); };
  switch (format) {
    case Format::Shikra: return printf_string("[%.3f,%.3f,%.3f,%.3f]", fx1, fy1, fx2, fy2);
    case Format::Qwen: return printf_string("<box>(%.0f,%.0f),(%.0f,%.0f)</box>", grid(fx1), grid(fy1), grid(fx2), grid(fy2));
    case Format::Qwen2:
      return printf_string("<|box_start|>(%.0f,%.0f),(%.0f,%.0f)<|box_end|>", grid(fx1), grid(fy1), grid(fx2), grid(fy2));
    case Format::Qwen25:
      return printf_string("{\"bbox_2d\": [%.0f, %.0f, %.0f, %.0f]}", std::round(fx1 * frame.seen_width),
                           std::round(fy1 * frame.seen_height), std::round(fx2 * frame.seen_width), std::round(fy2 * frame.seen_height));
    case Format::Florence2: {  // the bin a coordinate falls in
      auto bin = [](double f) { return std::min(999.0, std::floor(f * 1000.0)); };
      return printf_string("<loc_%.0f><loc_%.0f><loc_%.0f><loc_%.0f>", bin(fx1), bin(fy1), bin(fx2), bin(fy2));
    }
    case Format::Kosmos2: {  // Kosmos2Processor's coordinate_to_patch_index on its 32 x 32 grid
      const double n = 32;
      auto cell = [&](double v) { return std::clamp(v, 0.0, n - 1); };
      const double ul = cell(std::floor(fy1 * n)) * n + cell(std::floor(fx1 * n));
      const double lr = cell(std::ceil(fy2 * n - 1)) * n + cell(std::ceil(fx2 * n - 1));
      char buf[96];
      std::snprintf(buf, sizeof buf, "<object><patch_index_%04.0f><patch_index_%04.0f></object>", ul, lr);
      return buf;
    }
  }
  throw InternalError("grounding::emit_box: unknown format");
}

}  // namespace facet::grounding
