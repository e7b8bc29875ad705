#include "io/image_processor.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "util/error.hpp"

namespace facet::io {

namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& label, const std::string& field, const std::string& why) {
  throw InputError("'" + label + "': field '" + field + "' " + why);
}

bool get_bool(const json& j, const char* field, bool fallback, const std::string& label) {
  if (!j.contains(field) || j[field].is_null()) return fallback;
  if (!j[field].is_boolean()) bad(label, field, "must be true or false");
  return j[field].get<bool>();
}

int64_t get_size(const json& v, const std::string& field, const std::string& label) {
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kMaxImageSide)
    bad(label, field, "must be an integer in 1.." + std::to_string(kMaxImageSide));
  return v.get<int64_t>();
}

std::array<float, 3> get_triple(const json& j, const char* field, std::array<float, 3> fallback, const std::string& label) {
  if (!j.contains(field) || j[field].is_null()) return fallback;
  const json& v = j[field];
  if (v.is_number()) return {v.get<float>(), v.get<float>(), v.get<float>()};
  if (!v.is_array() || v.size() != 3) bad(label, field, "must be a number or a list of 3 numbers");
  std::array<float, 3> out{};
  for (int i = 0; i < 3; ++i) {
    if (!v[i].is_number()) bad(label, field, "must hold numbers");
    out[i] = v[i].get<float>();
  }
  return out;
}

}  // namespace

ImageProcessorConfig ImageProcessorConfig::parse(const std::string& text, const std::string& label) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw InputError("'" + label + "' is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError("'" + label + "' is not a JSON object");
  ImageProcessorConfig c;
  for (const char* key : {"image_processor_type", "feature_extractor_type"})
    if (j.contains(key) && j[key].is_string()) {
      c.type = j[key].get<std::string>();
      break;
    }
  if (c.type == "CLIPFeatureExtractor") c.type = "CLIPImageProcessor";
  if (c.type != "CLIPImageProcessor" && c.type != "BitImageProcessor")
    throw InputError("'" + label + "': image processor '" + c.type +
                     "' is not supported (CLIPImageProcessor and BitImageProcessor are)");
  c.do_resize = get_bool(j, "do_resize", true, label);
  if (j.contains("size") && !j["size"].is_null()) {
    const json& s = j["size"];
    if (s.is_number()) {
      c.shortest_edge = get_size(s, "size", label);
    } else if (s.is_object() && s.contains("shortest_edge")) {
      c.shortest_edge = get_size(s["shortest_edge"], "size.shortest_edge", label);
    } else if (s.is_object() && s.contains("height") && s.contains("width")) {
      c.resize_height = get_size(s["height"], "size.height", label);
      c.resize_width = get_size(s["width"], "size.width", label);
    } else {
      bad(label, "size", "must be an integer, {\"shortest_edge\": N} or {\"height\": H, \"width\": W}");
    }
  }
  // CLIPImageProcessor's compatibility flag for Kosmos-2: a shortest edge becomes an exact square
  // (the image is resized to it, aspect ratio ignored).
  if (get_bool(j, "use_square_size", false, label) && c.resize_height == 0) c.resize_height = c.resize_width = c.shortest_edge;
  if (j.contains("resample") && !j["resample"].is_null()) {
    if (!j["resample"].is_number_integer() || (j["resample"] != 2 && j["resample"] != 3))
      bad(label, "resample", "must be 2 (bilinear) or 3 (bicubic); other PIL filters are not supported");
    c.resample = static_cast<ResampleFilter>(j["resample"].get<int>());
  }
  c.do_center_crop = get_bool(j, "do_center_crop", true, label);
  if (j.contains("crop_size") && !j["crop_size"].is_null()) {
    const json& s = j["crop_size"];
    if (s.is_number()) {
      c.crop_height = c.crop_width = get_size(s, "crop_size", label);
    } else if (s.is_object() && s.contains("height") && s.contains("width")) {
      c.crop_height = get_size(s["height"], "crop_size.height", label);
      c.crop_width = get_size(s["width"], "crop_size.width", label);
    } else {
      bad(label, "crop_size", "must be an integer or {\"height\": H, \"width\": W}");
    }
  }
  c.do_rescale = get_bool(j, "do_rescale", true, label);
  if (j.contains("rescale_factor") && !j["rescale_factor"].is_null()) {
    if (!j["rescale_factor"].is_number()) bad(label, "rescale_factor", "must be a number");
    c.rescale_factor = j["rescale_factor"].get<double>();
  }
  c.do_normalize = get_bool(j, "do_normalize", true, label);
  c.mean = get_triple(j, "image_mean", c.mean, label);
  c.std = get_triple(j, "image_std", c.std, label);
  for (float s : c.std)
    if (!(s != 0.0f)) bad(label, "image_std", "must not contain 0");
  return c;
}

constexpr int64_t kMaxResizedPixels = int64_t{1} << 26;  // 64 Mpixels (192 MB of RGB) after a resize

std::pair<int64_t, int64_t> resize_target(int64_t height, int64_t width, const ImageProcessorConfig& c) {
  if (c.resize_height) return {c.resize_height, c.resize_width};
  // transformers' get_resize_output_image_size(default_to_square=False): the short side becomes
  // shortest_edge, the long side int(shortest_edge * long / short) (Python float arithmetic).
  const bool portrait = width <= height;
  const int64_t short_side = portrait ? width : height, long_side = portrait ? height : width;
  const int64_t new_long = static_cast<int64_t>(static_cast<double>(c.shortest_edge) * static_cast<double>(long_side) /
                                                static_cast<double>(short_side));
  if (new_long < 1) throw InputError("image of " + std::to_string(width) + "x" + std::to_string(height) + " pixels is too thin to resize");
  // A thin image resized to a large short side: bound the long side before allocating it.
  if (new_long > kMaxImageSide || new_long * c.shortest_edge > kMaxResizedPixels)
    throw InputError("image of " + std::to_string(width) + "x" + std::to_string(height) + " pixels resized to a short side of " +
                     std::to_string(c.shortest_edge) + " would be " + std::to_string(new_long) + " pixels long, above " +
                     std::to_string(std::min(kMaxImageSide, kMaxResizedPixels / c.shortest_edge)));
  return portrait ? std::pair{new_long, c.shortest_edge} : std::pair{c.shortest_edge, new_long};
}

RgbImage center_crop(const RgbImage& im, int64_t ch, int64_t cw) {
  auto floordiv2 = [](int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); };
  const int64_t top = floordiv2(im.height - ch), left = floordiv2(im.width - cw);
  RgbImage out{cw, ch, std::vector<uint8_t>(static_cast<size_t>(cw * ch * 3), 0)};
  for (int64_t y = 0; y < ch; ++y) {
    int64_t sy = top + y;
    if (sy < 0 || sy >= im.height) continue;
    for (int64_t x = 0; x < cw; ++x) {
      int64_t sx = left + x;
      if (sx < 0 || sx >= im.width) continue;
      std::copy_n(&im.pixels[static_cast<size_t>((sy * im.width + sx) * 3)], 3, &out.pixels[static_cast<size_t>((y * cw + x) * 3)]);
    }
  }
  return out;
}

RgbImage expand_to_square(const RgbImage& im, const std::array<uint8_t, 3>& bg) {
  if (im.width == im.height) return im;
  const int64_t side = std::max(im.width, im.height);
  RgbImage out{side, side, std::vector<uint8_t>(static_cast<size_t>(side * side * 3))};
  for (size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = bg[i % 3];
  const int64_t top = (side - im.height) / 2, left = (side - im.width) / 2;
  for (int64_t y = 0; y < im.height; ++y)
    std::copy_n(&im.pixels[static_cast<size_t>(y * im.width * 3)], im.width * 3,
                &out.pixels[static_cast<size_t>(((y + top) * side + left) * 3)]);
  return out;
}

HostTensor preprocess_image(const RgbImage& image, const ImageProcessorConfig& c) {
  RgbImage im = image;
  if (c.do_resize) {
    auto [h, w] = resize_target(im.height, im.width, c);
    im = resize_like_pil(im, w, h, c.resample);
  }
  if (c.do_center_crop) im = center_crop(im, c.crop_height, c.crop_width);
  const int64_t H = im.height, W = im.width;
  std::vector<float> v(static_cast<size_t>(3 * H * W));
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t i = 0; i < H * W; ++i) {
      float x = static_cast<float>(im.pixels[static_cast<size_t>(i * 3 + ch)]);
      if (c.do_rescale) x = static_cast<float>(static_cast<double>(im.pixels[static_cast<size_t>(i * 3 + ch)]) * c.rescale_factor);
      if (c.do_normalize) x = (x - c.mean[ch]) / c.std[ch];
      v[static_cast<size_t>(ch * H * W + i)] = x;
    }
  return HostTensor::from_f32(TensorDesc(DType::F32, {3, H, W}), v);
}

}  // namespace facet::io
