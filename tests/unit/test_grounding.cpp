// Box formats, coordinate frames, drawing and PNG writing (core/grounding, core/io/image_write).
// Known answers: the Kosmos-2 model card's example post-processing; hand-computed frames for a
// 640 x 360 image under center crop, pad-to-square and smart resize.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "grounding/draw.hpp"
#include "grounding/formats.hpp"
#include "grounding/frame.hpp"
#include "io/image.hpp"
#include "io/image_write.hpp"
#include "util/error.hpp"

namespace facet::test {
namespace {

using grounding::Box;
using grounding::Format;
using grounding::Frame;

io::ImageProcessorConfig clip336() {
  io::ImageProcessorConfig c;
  c.shortest_edge = 336;
  c.crop_height = c.crop_width = 336;
  return c;
}

void expect_box(const Box& b, double x1, double y1, double x2, double y2, double tol = 1e-9) {
  EXPECT_NEAR(b.x1, x1, tol);
  EXPECT_NEAR(b.y1, y1, tol);
  EXPECT_NEAR(b.x2, x2, tol);
  EXPECT_NEAR(b.y2, y2, tol);
}

TEST(GroundingFrame, CenterCropMapsTheCropBackToTheMiddleOfTheImage) {
  // 640 x 360 -> shortest edge 336: 597 x 336 (int(336 * 640 / 360)), crop 336 from x = 130.
  Frame f = Frame::from_processor(640, 360, clip336(), false);
  EXPECT_EQ(f.seen_width, 336);
  EXPECT_EQ(f.seen_height, 336);
  Box o = f.to_original({0, 0, 336, 336});
  expect_box(o, 130 * 640.0 / 597, 0, 466 * 640.0 / 597, 360);
  EXPECT_FALSE(o.clipped);
  // And back.
  expect_box(f.to_seen(o), 0, 0, 336, 336, 1e-9);
}

TEST(GroundingFrame, PadToSquareBandIsClippedAndFlagged) {
  Frame f = Frame::from_processor(640, 360, clip336(), true);  // pad 640 x 640 (band of 140 above), resize 336
  Box whole = f.to_original({0, 0, 336, 336});
  expect_box(whole, 0, 0, 640, 360);
  EXPECT_TRUE(whole.clipped);
  Box inside = f.to_original({0, 140 * 336.0 / 640, 168, 168});
  expect_box(inside, 0, 0, 320, 180);
  EXPECT_FALSE(inside.clipped);
  // A Shikra box wholly in the padded band is dropped with a warning, not shifted into the image.
  auto g = grounding::parse(Format::Shikra, "the sky [0.000,0.000,1.000,0.100]", f);
  EXPECT_TRUE(g.entities.empty());
  EXPECT_EQ(g.warnings.size(), 1u);
}

TEST(GroundingFrame, SmartResizeAsQwen2VL) {
  Frame f = Frame::smart_resize(640, 360);  // round(360 / 28) = 13 -> 364, round(640 / 28) = 23 -> 644
  EXPECT_EQ(f.seen_width, 644);
  EXPECT_EQ(f.seen_height, 364);
  Frame big = Frame::smart_resize(4000, 3000);  // over max_pixels: floor(h / beta / 28) * 28
  EXPECT_LE(big.seen_width * big.seen_height, 28 * 28 * 1280);
  EXPECT_EQ(static_cast<int64_t>(big.seen_width) % 28, 0);
  EXPECT_THROW(Frame::smart_resize(10000, 10), InputError);  // aspect ratio over 200
}

TEST(GroundingKosmos2, ModelCardExample) {
  // Kosmos2Processor.post_process_generation on the model card's generated text.
  const std::string text =
      "<image>. the, to and of</image><grounding> An image of<phrase> a snowman</phrase><object><patch_index_0044>"
      "<patch_index_0863></object> warming himself by<phrase> a fire</phrase><object><patch_index_0005><patch_index_0911>"
      "</object>.";
  auto g = grounding::parse(Format::Kosmos2, text, Frame::identity(1, 1));
  EXPECT_EQ(g.text, "An image of a snowman warming himself by a fire.");
  ASSERT_EQ(g.entities.size(), 2u);
  EXPECT_EQ(g.entities[0].phrase, "a snowman");
  EXPECT_EQ(g.entities[0].start, 12);
  EXPECT_EQ(g.entities[0].end, 21);
  expect_box(g.entities[0].boxes.at(0), 0.390625, 0.046875, 0.984375, 0.828125);
  EXPECT_EQ(g.entities[1].phrase, "a fire");
  EXPECT_EQ(g.entities[1].start, 41);
  EXPECT_EQ(g.entities[1].end, 47);
  expect_box(g.entities[1].boxes.at(0), 0.171875, 0.015625, 0.484375, 0.890625);
  EXPECT_TRUE(g.warnings.empty());
  // Scaled to a 640 x 480 original (Kosmos-2 resizes to a square without keeping the aspect).
  auto scaled = grounding::parse(Format::Kosmos2, text, Frame::identity(640, 480));
  expect_box(scaled.entities[0].boxes.at(0), 0.390625 * 640, 0.046875 * 480, 0.984375 * 640, 0.828125 * 480);
}

// Every case of the PyTorch reference's port of post_process_generation (tests/models/kosmos2_ref.py):
// cleaned text, phrases, spans (code points) and normalized boxes. Where the reference gives a box
// with x1 > x2 or y1 > y2 (an upper-left cell right of or below the lower-right one), Facet puts
// the corners in order (DESIGN.md: x1 < x2, y1 < y2) and warns.
TEST(GroundingKosmos2, MatchesTheReferencePostProcessing) {
  std::ifstream in(std::string(FACET_SOURCE_DIR) + "/tests/models/goldens/kosmos2_tiny/postprocess.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json cases = nlohmann::json::parse(in);
  ASSERT_GE(cases.size(), 10u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["text"].get<std::string>());
    auto g = grounding::parse(Format::Kosmos2, c["text"].get<std::string>(), Frame::identity(1, 1));
    EXPECT_EQ(g.text, c["cleaned"].get<std::string>());
    ASSERT_EQ(g.entities.size(), c["entities"].size());
    for (size_t i = 0; i < g.entities.size(); ++i) {
      const auto& want = c["entities"][i];
      EXPECT_EQ(g.entities[i].phrase, want[0].get<std::string>());
      EXPECT_EQ(g.entities[i].start, want[1][0].get<int64_t>());
      EXPECT_EQ(g.entities[i].end, want[1][1].get<int64_t>());
      ASSERT_EQ(g.entities[i].boxes.size(), want[2].size());
      for (size_t b = 0; b < want[2].size(); ++b) {
        const double x1 = want[2][b][0], y1 = want[2][b][1], x2 = want[2][b][2], y2 = want[2][b][3];
        expect_box(g.entities[i].boxes[b], std::min(x1, x2), std::min(y1, y2), std::max(x1, x2), std::max(y1, y2), 1e-12);
        if (x1 > x2 || y1 > y2) {
          EXPECT_FALSE(g.warnings.empty());
        }
      }
    }
  }
}

TEST(GroundingKosmos2, ObjectsWithoutPhraseAndSeveralBoxes) {
  const std::string text =
      "<grounding> two<phrase> dogs</phrase><object><patch_index_0000><patch_index_0033></delimiter_of_multi_objects/>"
      "<patch_index_0100><patch_index_0100></object> and <object><patch_index_0001><patch_index_0034></object>";
  auto g = grounding::parse(Format::Kosmos2, text, Frame::identity(32, 32));
  EXPECT_EQ(g.text, "two dogs and");
  ASSERT_EQ(g.entities.size(), 2u);
  ASSERT_EQ(g.entities[0].boxes.size(), 2u);
  expect_box(g.entities[0].boxes[0], 0.5, 0.5, 1.5, 1.5);  // cell centres: different row and column
  expect_box(g.entities[0].boxes[1], 4, 3, 5, 4);          // one cell: its corners
  EXPECT_EQ(g.entities[1].phrase, "<patch_index_1><patch_index_34>");
  EXPECT_EQ(g.entities[1].start, g.entities[1].end);
}

TEST(GroundingShikra, PhrasesBoxesAndCleanText) {
  Frame f = Frame::identity(200, 100);
  auto g = grounding::parse(Format::Shikra,
                            "A red circle [0.100,0.200,0.300,0.400] and, two squares [0.5,0.5,0.6,0.6;0.7,0.1,0.9,0.3]. See [1].", f);
  EXPECT_EQ(g.text, "A red circle and, two squares. See [1].");
  ASSERT_EQ(g.entities.size(), 2u);
  EXPECT_EQ(g.entities[0].phrase, "A red circle");
  EXPECT_EQ(g.entities[0].start, 0);
  EXPECT_EQ(g.entities[0].end, 12);
  expect_box(g.entities[0].boxes.at(0), 20, 20, 60, 40);
  EXPECT_EQ(g.entities[1].phrase, "two squares");
  EXPECT_EQ(g.entities[1].start, 18);
  ASSERT_EQ(g.entities[1].boxes.size(), 2u);
  expect_box(g.entities[1].boxes[1], 140, 10, 180, 30);
  EXPECT_TRUE(g.warnings.empty());
}

TEST(GroundingShikra, MalformedTextKeepsValidBoxesAndWarns) {
  Frame f = Frame::identity(100, 100);
  // swapped corners, out of range, an incomplete box, cut short.
  auto g = grounding::parse(Format::Shikra, "a [0.5,0.5,0.1,0.1] b [1.5,0,2,1] c [0.1,0.1,0.2,0.2,0.3] d [0.1,0.2", f);
  ASSERT_EQ(g.entities.size(), 2u);
  expect_box(g.entities[0].boxes.at(0), 10, 10, 50, 50);
  expect_box(g.entities[1].boxes.at(0), 10, 10, 20, 20);
  EXPECT_EQ(g.warnings.size(), 4u);
  EXPECT_EQ(g.text, "a b c d");
}

TEST(GroundingQwen, QwenVLAndQwen2VL) {
  Frame f = Frame::identity(640, 360);
  auto g = grounding::parse(Format::Qwen, "Here is <ref>the dog</ref><box>(100,200),(500,1000)</box><box>(0,0),(10,10)</box> on grass", f);
  EXPECT_EQ(g.text, "Here is the dog on grass");
  ASSERT_EQ(g.entities.size(), 1u);
  EXPECT_EQ(g.entities[0].phrase, "the dog");
  EXPECT_EQ(g.entities[0].start, 8);
  ASSERT_EQ(g.entities[0].boxes.size(), 2u);
  expect_box(g.entities[0].boxes[0], 64, 72, 320, 360);
  auto g2 = grounding::parse(Format::Qwen2,
                             "<|object_ref_start|>cat<|object_ref_end|><|box_start|>(0,0),(500,500)<|box_end|> and "
                             "<|object_ref_start|>hat<|object_ref_end|><|box_start|>(500,",
                             f);
  ASSERT_EQ(g2.entities.size(), 1u);
  expect_box(g2.entities[0].boxes[0], 0, 0, 320, 180);
  EXPECT_EQ(g2.warnings.size(), 1u);  // the cut-short box
}

TEST(GroundingQwen25, JsonInSmartResizedPixels) {
  Frame f = Frame::smart_resize(640, 360);  // 644 x 364
  auto g = grounding::parse(Format::Qwen25,
                            "```json\n[\n  {\"bbox_2d\": [0, 0, 322, 182], \"label\": \"left dog\"},\n  {\"bbox_2d\": [322, 182, 644, 364], "
                            "\"label\": \"right\"},\n  {\"bbox_2d\": [1, 2",
                            f);
  ASSERT_EQ(g.entities.size(), 2u);
  EXPECT_EQ(g.entities[0].phrase, "left dog");
  expect_box(g.entities[0].boxes[0], 0, 0, 320, 180);
  expect_box(g.entities[1].boxes[0], 320, 180, 640, 360);
  EXPECT_EQ(g.text.substr(static_cast<size_t>(g.entities[0].start), 8), "left dog");
  EXPECT_EQ(g.warnings.size(), 1u);
}

TEST(GroundingFlorence2, BinCentres) {
  Frame f = Frame::identity(1000, 500);
  auto g = grounding::parse(Format::Florence2, "</s><s>car<loc_0><loc_0><loc_499><loc_999>person<loc_10><loc_10><loc_20><loc_20><loc_30><loc_30><loc_40><loc_40></s>", f);
  EXPECT_EQ(g.text, "car person");
  ASSERT_EQ(g.entities.size(), 2u);
  expect_box(g.entities[0].boxes.at(0), 0.5, 0.25, 499.5, 499.75);
  EXPECT_EQ(g.entities[1].phrase, "person");
  EXPECT_EQ(g.entities[1].start, 4);
  EXPECT_EQ(g.entities[1].boxes.size(), 2u);
}

TEST(GroundingEmit, RoundTripsThroughEveryFormat) {
  const Box region{64, 36, 320, 270};
  struct Case {
    Format format;
    Frame frame;
    std::string before, after;
    double tol;
  };
  const std::vector<Case> cases = {
      {Format::Shikra, Frame::from_processor(640, 360, clip336(), true), "a dog ", "", 1.0},
      {Format::Qwen, Frame::identity(640, 360), "<ref>a dog</ref>", "", 0.7},
      {Format::Qwen2, Frame::identity(640, 360), "<|object_ref_start|>a dog<|object_ref_end|>", "", 0.7},
      {Format::Qwen25, Frame::smart_resize(640, 360), "[", "]", 1.0},
      {Format::Florence2, Frame::identity(640, 360), "a dog", "", 0.7},
      {Format::Kosmos2, Frame::identity(640, 360), "<phrase>a dog</phrase>", "", 20.0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(grounding::format_name(c.format));
    const std::string box = grounding::emit_box(c.format, region, c.frame);
    auto g = grounding::parse(c.format, c.before + box + c.after, c.frame);
    ASSERT_EQ(g.entities.size(), 1u) << box;
    expect_box(g.entities[0].boxes.at(0), region.x1, region.y1, region.x2, region.y2, c.tol);
  }
  EXPECT_EQ(grounding::emit_box(Format::Kosmos2, {0, 0, 640, 360}, Frame::identity(640, 360)),
            "<object><patch_index_0000><patch_index_1023></object>");
  EXPECT_THROW(grounding::emit_box(Format::Shikra, {10, 10, 5, 20}, Frame::identity(640, 360)), InputError);
  EXPECT_THROW(grounding::emit_box(Format::Shikra, {0, 0, 641, 20}, Frame::identity(640, 360)), InputError);
}

TEST(GroundingParse, EveryPrefixOfEveryFormatParsesWithoutThrowing) {
  const std::vector<std::pair<Format, std::string>> texts = {
      {Format::Kosmos2, "<grounding> a<phrase> dog</phrase><object><patch_index_0044><patch_index_0863></delimiter_of_multi_objects/><patch_index_0001><patch_index_0002></object>."},
      {Format::Shikra, "a dog [0.100,0.200,0.300,0.400;0.5,0.5,0.6,0.6] and [x] [1]"},
      {Format::Qwen, "<ref>a dog</ref><box>(100,200),(300,400)</box>"},
      {Format::Qwen2, "<|object_ref_start|>a<|object_ref_end|><|box_start|>(1,2),(3,4)<|box_end|>"},
      {Format::Qwen25, "[{\"bbox_2d\": [1, 2, 30, 40], \"label\": \"a \\\"dog\\\" {x}\"}]"},
      {Format::Florence2, "dog<loc_1><loc_2><loc_300><loc_400>"},
  };
  for (const auto& [format, text] : texts)
    for (size_t n = 0; n <= text.size(); ++n)
      for (Format other : {Format::Kosmos2, Format::Shikra, Format::Qwen, Format::Qwen2, Format::Qwen25, Format::Florence2}) {
        (void)format;
        auto g = grounding::parse(other, text.substr(0, n), Frame::identity(100, 50));
        for (const auto& e : g.entities)
          for (const Box& b : e.boxes) {
            EXPECT_LT(b.x1, b.x2);
            EXPECT_LT(b.y1, b.y2);
            EXPECT_GE(b.x1, 0);
            EXPECT_LE(b.y2, 50);
          }
      }
  EXPECT_THROW(grounding::parse_format("yolo"), InputError);
  EXPECT_EQ(grounding::parse_format("qwen2.5"), Format::Qwen25);
}

TEST(GroundingDraw, OutlinesAndLabelsLandWhereTheBoxesAre) {
  io::RgbImage im{120, 80, std::vector<uint8_t>(120 * 80 * 3, 255)};
  grounding::Grounding g;
  g.entities.push_back({"dog", 0, 3, {Box{20, 30, 100, 70}}});
  io::RgbImage out = grounding::draw(im, g, {2, 1});
  auto px = [&](int64_t x, int64_t y) {
    const uint8_t* p = &out.pixels[static_cast<size_t>((y * out.width + x) * 3)];
    return std::array<uint8_t, 3>{p[0], p[1], p[2]};
  };
  const auto colour = grounding::entity_colour(0);
  EXPECT_EQ(px(60, 30), colour);  // top edge
  EXPECT_EQ(px(60, 69), colour);  // bottom edge
  EXPECT_EQ(px(21, 50), colour);  // left edge
  EXPECT_EQ(px(99, 50), colour);  // right edge
  EXPECT_EQ(px(60, 50), (std::array<uint8_t, 3>{255, 255, 255}));  // inside untouched
  EXPECT_EQ(px(5, 5), (std::array<uint8_t, 3>{255, 255, 255}));    // outside untouched
  // The label sits on a filled band just above the box (11 rows at scale 1), with letters of
  // another colour in it.
  int band = 0, ink = 0;
  for (int64_t y = 19; y < 30; ++y)
    for (int64_t x = 20; x < 40; ++x) band += px(x, y) == colour, ink += px(x, y) != colour;
  EXPECT_GT(band, 100);
  EXPECT_GT(ink, 10);
}

TEST(ImageWrite, PngRoundTripWithTextChunk) {
  io::RgbImage im{7, 5, {}};
  for (int i = 0; i < 7 * 5 * 3; ++i) im.pixels.push_back(static_cast<uint8_t>(i * 7));
  auto png = io::encode_png(im, {{"parameters", "a red circle, seed 3"}});
  io::RgbImage back = io::decode_image(png.data(), png.size(), "round trip");
  EXPECT_EQ(back.width, 7);
  EXPECT_EQ(back.pixels, im.pixels);
  const std::string bytes(png.begin(), png.end());
  EXPECT_NE(bytes.find(std::string("tEXtparameters\0a red circle, seed 3", 35)), std::string::npos);
  EXPECT_THROW(io::encode_png(im, {{"", "x"}}), InputError);
  EXPECT_THROW(io::write_png("/nonexistent-dir/x.png", im), InputError);
}

}  // namespace
}  // namespace facet::test
