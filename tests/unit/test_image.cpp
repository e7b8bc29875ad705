// Image loading and preprocessing against the PIL reference (tests/models/reference_preprocess.py,
// goldens written by tests/models/gen_images.py): PNG decoding and every preprocessing step must be
// bit-exact, JPEG included (both decode it with libjpeg-turbo, islow IDCT, fancy upsampling).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/image.hpp"
#include "io/image_processor.hpp"
#include "io/image_resize.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"

namespace facet::test {
namespace {

const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> image_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(kModels + "/images")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Image, DecodedPixelsMatchPil) {
  for (const std::string& name : image_names()) {
    SCOPED_TRACE(name);
    io::RgbImage im = io::load_image(kModels + "/images/" + name);
    HostTensor want = io::read_npy(kModels + "/goldens/decode/" + name + ".npy");
    ASSERT_EQ(want.desc.dims[0], im.height);
    ASSERT_EQ(want.desc.dims[1], im.width);
    std::vector<float> w = want.to_f32();
    int max_diff = 0;
    size_t differing = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      int d = std::abs(static_cast<int>(w[i]) - static_cast<int>(im.pixels[i]));
      max_diff = std::max(max_diff, d);
      differing += d != 0;
    }
    EXPECT_EQ(max_diff, 0) << differing << " of " << w.size() << " values differ";
    std::cout << "[ decode ] " << name << ": max |diff| " << max_diff << ", " << differing << "/" << w.size() << " values differ\n";
  }
}

TEST(Image, LanczosResizeMatchesPil) {
  for (const auto& [name, w, h] : std::vector<std::tuple<std::string, int64_t, int64_t>>{
           {"photo_50x33.jpg", 32, 24}, {"photo_50x33.jpg", 72, 40}, {"rgb_37x23.png", 16, 16}, {"rgb_37x23.png", 37, 50}}) {
    SCOPED_TRACE(name + " " + std::to_string(w) + "x" + std::to_string(h));
    const io::RgbImage im = io::resize_like_pil(io::load_image(kModels + "/images/" + name), w, h, io::ResampleFilter::Lanczos);
    const std::vector<float> want = io::read_npy(kModels + "/goldens/resize/" + name + "." + std::to_string(w) + "x" +
                                                 std::to_string(h) + ".lanczos.npy").to_f32();
    ASSERT_EQ(want.size(), im.pixels.size());
    int worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(static_cast<int>(want[i]) - im.pixels[i]));
    EXPECT_EQ(worst, 0);
  }
}

TEST(Image, PreprocessingMatchesTheReference) {
  for (const char* processor : {"clip", "dinov2", "pad"}) {
    std::string cfg_path = kModels + "/processors/" + processor + "/preprocessor_config.json";
    io::ImageProcessorConfig cfg = io::ImageProcessorConfig::parse(read_text(cfg_path), cfg_path);
    for (const std::string& name : image_names()) {
      SCOPED_TRACE(std::string(processor) + " " + name);
      HostTensor got = io::preprocess_image(io::load_image(kModels + "/images/" + name), cfg);
      HostTensor want = io::read_npy(kModels + "/goldens/preprocess/" + std::string(processor) + "." + name + ".npy");
      ASSERT_EQ(got.desc, want.desc);
      std::vector<float> g = got.to_f32(), w = want.to_f32();
      double max_diff = 0;
      for (size_t i = 0; i < g.size(); ++i) max_diff = std::max(max_diff, std::fabs(static_cast<double>(g[i]) - w[i]));
      EXPECT_EQ(max_diff, 0.0);  // bit-exact
    }
  }
}

TEST(Image, ResizeTargetFollowsTransformers) {
  io::ImageProcessorConfig c;
  c.shortest_edge = 224;
  EXPECT_EQ(io::resize_target(480, 640, c), (std::pair<int64_t, int64_t>{224, 298}));  // int(224 * 640 / 480)
  EXPECT_EQ(io::resize_target(640, 480, c), (std::pair<int64_t, int64_t>{298, 224}));
  EXPECT_EQ(io::resize_target(100, 100, c), (std::pair<int64_t, int64_t>{224, 224}));
}

TEST(Image, ExifOrientationsTransposeLikePil) {
  io::RgbImage im{3, 2, {}};
  for (int i = 0; i < 6; ++i) im.pixels.insert(im.pixels.end(), {static_cast<uint8_t>(i), 0, 0});
  // 0 1 2 / 3 4 5 ; orientation 6 (rotate 90 clockwise to display) -> 3 0 / 4 1 / 5 2
  io::RgbImage r = io::apply_orientation(im, 6);
  ASSERT_EQ(r.width, 2);
  ASSERT_EQ(r.height, 3);
  std::vector<int> got;
  for (size_t i = 0; i < 6; ++i) got.push_back(r.pixels[i * 3]);
  EXPECT_EQ(got, (std::vector<int>{3, 0, 4, 1, 5, 2}));
  r = io::apply_orientation(im, 8);  // -> 2 5 / 1 4 / 0 3
  got.clear();
  for (size_t i = 0; i < 6; ++i) got.push_back(r.pixels[i * 3]);
  EXPECT_EQ(got, (std::vector<int>{2, 5, 1, 4, 0, 3}));
}

TEST(Image, BadFilesAreClearErrors) {
  auto error_of = [](std::vector<uint8_t> bytes) {
    try {
      io::decode_image(bytes.data(), bytes.size(), "x.img");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(error_of({'G', 'I', 'F', '8', '9', 'a', 0, 0}).find("neither PNG nor JPEG"), std::string::npos);
  EXPECT_NE(error_of({}).find("neither PNG nor JPEG"), std::string::npos);
  // A truncated PNG and JPEG, cut at every length up to the full file: never a crash.
  for (const char* name : {"rgb_37x23.png", "photo_50x33.jpg"}) {
    std::ifstream in(kModels + "/images/" + name, std::ios::binary);
    std::vector<uint8_t> full((std::istreambuf_iterator<char>(in)), {});
    for (size_t n = 0; n < full.size(); n += 7) {
      std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      try {
        io::decode_image(cut.data(), cut.size(), name);
      } catch (const InputError&) {
      }
    }
  }
  // A PNG header claiming 100000 x 100000 pixels is refused before decoding.
  std::vector<uint8_t> huge = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                               0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0, 0, 0, 0, 0};
  std::string e = error_of(huge);
  EXPECT_NE(e.find("100000x100000"), std::string::npos) << e;
}

TEST(Image, ProcessorConfigErrorsNameTheField) {
  auto error_of = [](const std::string& text) {
    try {
      io::ImageProcessorConfig::parse(text, "preprocessor_config.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"size": {"shortest_edge": -3}})").find("size.shortest_edge"), std::string::npos);
  EXPECT_NE(error_of(R"({"resample": 1})").find("resample"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_std": [1, 0, 1]})").find("image_std"), std::string::npos);
  EXPECT_NE(error_of(R"({"image_processor_type": "SiglipImageProcessor"})").find("SiglipImageProcessor"), std::string::npos);
  io::ImageProcessorConfig c = io::ImageProcessorConfig::parse(R"({"size": 336, "crop_size": 336})", "x");
  EXPECT_EQ(c.shortest_edge, 336);
  EXPECT_EQ(c.crop_width, 336);
  EXPECT_NE(error_of(R"({"use_square_size": "yes"})").find("use_square_size"), std::string::npos);
}

// Kosmos-2's processor: use_square_size makes the shortest edge an exact square (aspect ratio
// ignored); an explicit height/width stays as given.
TEST(Image, UseSquareSizeResizesToAnExactSquare) {
  io::ImageProcessorConfig c =
      io::ImageProcessorConfig::parse(R"({"size": {"shortest_edge": 56}, "use_square_size": true})", "x");
  EXPECT_EQ(io::resize_target(33, 50, c), (std::pair<int64_t, int64_t>{56, 56}));
  c = io::ImageProcessorConfig::parse(R"({"size": {"shortest_edge": 56}, "use_square_size": false})", "x");
  EXPECT_EQ(io::resize_target(33, 50, c), (std::pair<int64_t, int64_t>{56, 84}));
  c = io::ImageProcessorConfig::parse(R"({"size": {"height": 20, "width": 30}, "use_square_size": true})", "x");
  EXPECT_EQ(io::resize_target(33, 50, c), (std::pair<int64_t, int64_t>{20, 30}));
}

}  // namespace
}  // namespace facet::test
