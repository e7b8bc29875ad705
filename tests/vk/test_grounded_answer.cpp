// llm::ground on the tiny llava-hf folder: the region is written into the prompt as the Shikra box
// of the image the model saw (resize to 45x30, crop 30 from x = 7 for a 50x33 photo), the answer
// is what facet run gives for that prompt, and the boxes are parsed from its text.
#include <gtest/gtest.h>

#include "llm/grounded_answer.hpp"
#include "pipeline/model_pipeline.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";

class GroundedAnswer : public VkTest {};

TEST_F(GroundedAnswer, RegionBecomesTheModelsBoxTextAndTheAnswerIsParsed) {
  plugin::PluginRegistry registry{{FACET_PLUGIN_DIR}};
  Executor ex(ctx());
  llm::VlmSession vlm(pipeline::model_pipeline(pipeline::ModelFolder::open(kModels + "/llava_tiny")), registry, ctx(), ex);
  llm::GroundOptions o;
  o.prompt = "What is in <region>?";
  o.region = grounding::Box{5, 5, 30, 20};
  o.max_tokens = 4;
  llm::GroundedAnswer a = llm::ground(vlm, kModels + "/images/photo_50x33.jpg", o);
  // x: 5 * 45/50 - 7 = -2.5 -> 0 (cut to the crop); y: 5 * 30/33 / 30 = 0.1515; x2: (27 - 7) / 30; y2: 20 * 30/33 / 30.
  EXPECT_EQ(a.prompt, "What is in [0.000,0.152,0.667,0.606]?");
  EXPECT_EQ(a.format, grounding::Format::Shikra);
  EXPECT_EQ(a.image.width, 50);
  EXPECT_EQ(a.reply.tokens.size(), 4u);
  EXPECT_EQ(a.raw, a.reply.text);
  EXPECT_EQ(a.grounding.text, grounding::parse(grounding::Format::Shikra, a.raw, vlm.frame(50, 33)).text);
  // The same region in another model's format.
  o.format = grounding::Format::Qwen2;
  o.max_tokens = 1;
  EXPECT_EQ(llm::ground(vlm, kModels + "/images/photo_50x33.jpg", o).prompt,
            "What is in <|box_start|>(0,152),(667,606)<|box_end|>?");
  o.region = grounding::Box{5, 5, 60, 20};
  EXPECT_THROW(llm::ground(vlm, kModels + "/images/photo_50x33.jpg", o), InputError);
}

// Kosmos-2: <grounding> is put before the prompt, the prompt takes Kosmos2Processor's layout, and
// the text the boxes are read from is the whole decoded sequence after the image, so the cleaned
// text starts with the prompt's words.
TEST_F(GroundedAnswer, Kosmos2ReadsTheWholeSequenceAfterTheImage) {
  plugin::PluginRegistry registry{{FACET_PLUGIN_DIR}};
  Executor ex(ctx());
  llm::VlmSession vlm(pipeline::model_pipeline(pipeline::ModelFolder::open(kModels + "/kosmos2_tiny")), registry, ctx(), ex);
  llm::GroundOptions o;
  o.prompt = "An image of";
  o.max_tokens = 6;
  llm::GroundedAnswer a = llm::ground(vlm, kModels + "/images/photo_50x33.jpg", o);
  EXPECT_EQ(a.format, grounding::Format::Kosmos2);
  EXPECT_EQ(a.prompt, "<grounding>An image of");
  EXPECT_NE(a.raw.find("<grounding>"), std::string::npos) << a.raw;  // after "</image>"
  EXPECT_NE(a.raw.find(vlm.tokenizer().decode(a.reply.tokens, false)), std::string::npos);
  EXPECT_EQ(a.grounding.text.rfind("An image of", 0), 0u) << a.grounding.text;
  // Boxes are Kosmos-2 cells of the square the image was resized to, so in original pixels.
  for (const auto& e : a.grounding.entities)
    for (const auto& b : e.boxes) EXPECT_TRUE(b.x2 <= 50 && b.y2 <= 33);
}

}  // namespace
}  // namespace facet::test
