// The host API as a user's program sees it: only the installed headers (facet/facet.hpp,
// facet/eval.hpp) and libfacet. Outputs are checked against the PyTorch goldens the CLI tests use.
#include <facet/eval.hpp>
#include <facet/facet.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <thread>

namespace {

const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";
const std::string kImages = kModels + "/images";

// A little-endian f32 NPY file (the goldens), as a flat vector.
std::vector<float> read_f32_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f) << path;
  std::string data((std::istreambuf_iterator<char>(f)), {});
  const uint16_t header = static_cast<uint16_t>(static_cast<uint8_t>(data[8]) | (static_cast<uint8_t>(data[9]) << 8));
  EXPECT_NE(data.find("'<f4'"), std::string::npos) << path;
  const size_t at = 10 + header;
  std::vector<float> v((data.size() - at) / 4);
  std::memcpy(v.data(), data.data() + at, v.size() * 4);
  return v;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

double max_rel_error(const float* got, const std::vector<float>& want) {
  double err = 0, scale = 1e-6;
  for (float w : want) scale = std::max(scale, static_cast<double>(std::fabs(w)));
  for (size_t i = 0; i < want.size(); ++i) err = std::max(err, std::fabs(static_cast<double>(got[i]) - want[i]));
  return err / scale;
}

// With the Khronos validation layer; a missing Vulkan device fails here (GpuError), never skips.
facet::Device& device() {
  static facet::Device d(facet::DeviceOptions{"", {}, true});
  return d;
}

// Every test ends without a validation message.
class HostApi : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(device().validation_messages(), 0u); }
};

TEST_F(HostApi, DeviceDescribesItself) {
  EXPECT_FALSE(device().description().name.empty());
  EXPECT_FALSE(facet::Device::list().empty());
  EXPECT_EQ(facet::version().find('.') != std::string::npos, true);
}

TEST_F(HostApi, ClipEmbedsImagesAndTextsAsTheGoldens) {
  facet::Model clip(device(), kModels + "/clip_tiny");
  EXPECT_EQ(clip.kind(), facet::ModelKind::Clip);
  const std::vector<std::string> names{"photo_50x33.jpg", "exif6_40x24.jpg", "rgb_37x23.png"};
  std::vector<std::string> paths;
  std::vector<facet::Image> images;
  for (const auto& n : names) {
    paths.push_back(kImages + "/" + n);
    images.push_back(facet::Image::load(paths.back()));
  }
  const facet::Array a = clip.embed_images(paths);
  ASSERT_EQ(a.shape.size(), 2u);
  ASSERT_EQ(a.shape[0], 3);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto want = read_f32_npy(kModels + "/goldens/clip_tiny/" + names[i] + ".embeds.npy");
    ASSERT_EQ(static_cast<size_t>(a.shape[1]), want.size());
    EXPECT_LT(max_rel_error(a.data.data() + i * want.size(), want), 1e-4) << names[i];
  }
  const facet::Array b = clip.embed_images(images);  // decoded images give the same numbers
  EXPECT_EQ(a.data, b.data);

  const auto texts = read_json(kModels + "/goldens/clip_tiny/texts.json");
  for (const char* name : {"cat", "dog", "red_car"}) {
    const facet::Array t = clip.embed_texts({texts["strings"][name]["text"].get<std::string>()});
    const auto want = read_f32_npy(kModels + "/goldens/clip_tiny/text." + std::string(name) + ".embeds.npy");
    ASSERT_EQ(t.data.size(), want.size());
    EXPECT_LT(max_rel_error(t.data.data(), want), 1e-4) << name;
  }
}

TEST_F(HostApi, ClipClassifiesAsTheZeroShotGoldens) {
  facet::Model clip(device(), kModels + "/clip_tiny");
  const auto z = read_json(kModels + "/goldens/clip_tiny/zero_shot.json");
  std::vector<std::string> labels;
  for (const auto& l : z["labels"]) {
    std::string text = z["template"].get<std::string>();
    text.replace(text.find("{}"), 2, l.get<std::string>());
    labels.push_back(text);
  }
  const facet::Array p = clip.classify({facet::Image::load(kImages + "/photo_50x33.jpg")}, labels);
  const auto want = z["images"]["photo_50x33.jpg"]["probs"].get<std::vector<float>>();
  ASSERT_EQ(p.shape, (std::vector<int64_t>{1, 3}));
  EXPECT_LT(max_rel_error(p.data.data(), want), 1e-4);
}

TEST_F(HostApi, Dinov2EmbedsAsTheGoldens) {
  facet::Model dino(device(), kModels + "/dinov2_tiny");
  EXPECT_EQ(dino.kind(), facet::ModelKind::VisionEncoder);
  const facet::Array a = dino.embed_images({kImages + "/rgb_37x23.png"});
  const auto want = read_f32_npy(kModels + "/goldens/dinov2_tiny/rgb_37x23.png.embeds.npy");
  ASSERT_EQ(a.data.size(), want.size());
  EXPECT_LT(max_rel_error(a.data.data(), want), 1e-4);
  EXPECT_THROW(dino.embed_texts({"a cat"}), facet::UsageError);
  EXPECT_THROW(dino.generate("hi"), facet::UsageError);
}

TEST_F(HostApi, LanguageModelGeneratesTheGreedyGoldens) {
  facet::Model llm(device(), kModels + "/llama_tiny");
  EXPECT_EQ(llm.kind(), facet::ModelKind::Language);
  EXPECT_FALSE(llm.takes_images());
  const auto cases = read_json(kModels + "/goldens/llama_tiny/cases.json");
  const auto& c = cases[0];
  facet::GenerateOptions o;
  o.max_tokens = static_cast<int>(c["greedy"].size());
  std::string streamed;
  const facet::Generation g = llm.generate(c["text"].get<std::string>(), {}, o, [&](const std::string& piece) {
    streamed += piece;
    return true;
  });
  EXPECT_EQ(g.tokens, c["greedy"].get<std::vector<int32_t>>());
  EXPECT_EQ(g.prompt_tokens, static_cast<int64_t>(c["ids"].size()));
  EXPECT_EQ(g.finish_reason, "length");
  EXPECT_EQ(streamed, g.text);
}

TEST_F(HostApi, CancellingStopsTheReply) {
  facet::Model llm(device(), kModels + "/llama_tiny");
  facet::GenerateOptions o;
  o.max_tokens = 16;
  int pieces = 0;
  const facet::Generation g = llm.generate("Hello world", {}, o, [&](const std::string&) { return ++pieces < 3; });
  EXPECT_EQ(g.finish_reason, "cancelled");
  EXPECT_EQ(pieces, 3);
  EXPECT_LE(g.tokens.size(), 4u);
}

TEST_F(HostApi, LlavaAnswersAboutAnImageAsTheGoldens) {
  facet::Model llava(device(), kModels + "/llava_tiny");
  EXPECT_TRUE(llava.takes_images());
  const auto cases = read_json(kModels + "/goldens/llava/llava_tiny/cases.json");
  const auto& c = cases[0];  // "<image>\nWhat is in the image?" in the chat template
  ASSERT_EQ(c["images"].size(), 1u);
  facet::GenerateOptions o;
  o.max_tokens = static_cast<int>(c["greedy"].size());
  std::string message = c["message"].get<std::string>();
  message.erase(0, std::string("<image>\n").size());
  const facet::Image image = facet::Image::load(kImages + "/" + c["images"][0].get<std::string>());
  const facet::Generation g = llava.generate(message, {image}, o);
  EXPECT_EQ(g.tokens, c["greedy"].get<std::vector<int32_t>>());
  EXPECT_EQ(g.prompt_tokens, static_cast<int64_t>(c["ids"].size()));

  // The same question as a one-message chat gives the same reply.
  const facet::Generation h = llava.chat({{"user", message, {image}}}, o);
  EXPECT_EQ(h.tokens, g.tokens);
  // Images for a model without a vision tower, a chat that does not end with a user message.
  EXPECT_THROW(llava.chat({{"assistant", "hi", {}}}, o), facet::InputError);
}

TEST_F(HostApi, ModelsOnOneDeviceRunFromSeveralThreads) {
  facet::Model a(device(), kModels + "/llama_tiny"), b(device(), kModels + "/llama_tiny");
  facet::GenerateOptions o;
  o.max_tokens = 8;
  const std::vector<int32_t> want = a.generate("Hello world", {}, o).tokens;
  std::vector<int32_t> ra, rb;
  std::thread ta([&] { ra = a.generate("Hello world", {}, o).tokens; });
  std::thread tb([&] { rb = b.generate("Hello world", {}, o).tokens; });
  ta.join();
  tb.join();
  EXPECT_EQ(ra, want);
  EXPECT_EQ(rb, want);
}

// parallel > 1: calls from several threads decode together (one batched step for all running
// replies, new ones joining between steps); each reply is the one the model gives alone: the
// goldens for greedy replies, the sequential model's tokens for seeded sampling and other prompts.
TEST_F(HostApi, ParallelCallsAreBatchedWithTheSameReplies) {
  const auto cases = read_json(kModels + "/goldens/llama_tiny/cases.json");
  facet::ModelOptions po;
  po.parallel = 3;
  facet::Model alone(device(), kModels + "/llama_tiny"), batched(device(), kModels + "/llama_tiny", po);
  struct Call {
    std::string prompt;
    facet::GenerateOptions o;
  };
  std::vector<Call> calls;
  for (const auto& c : cases) {
    facet::GenerateOptions o;
    o.max_tokens = static_cast<int>(c["greedy"].size());
    calls.push_back({c["text"].get<std::string>(), o});
  }
  for (int k = 0; k < 4; ++k) {  // sampled, of different lengths, more calls than slots
    facet::GenerateOptions o;
    o.max_tokens = 5 + 3 * k;
    o.temperature = 0.8;
    o.top_k = 20;
    o.seed = 7 + static_cast<uint64_t>(k);
    calls.push_back({"Hello world " + std::to_string(k), o});
  }
  std::vector<std::vector<int32_t>> want, got(calls.size());
  std::vector<std::string> streamed(calls.size());
  for (const auto& c : calls) want.push_back(alone.generate(c.prompt, {}, c.o).tokens);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < calls.size(); ++i)
    threads.emplace_back([&, i] {
      got[i] = batched.generate(calls[i].prompt, {}, calls[i].o, [&](const std::string& piece) {
                         streamed[i] += piece;
                         return true;
                       }).tokens;
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << "call " << i << ": " << calls[i].prompt;
    if (i < cases.size()) EXPECT_EQ(got[i], cases[i]["greedy"].get<std::vector<int32_t>>()) << "call " << i;
  }
  // A cancelled call ends at the next step while the others go on.
  facet::GenerateOptions o;
  o.max_tokens = 16;
  int pieces = 0;
  std::vector<int32_t> other;
  std::thread t([&] { other = batched.generate(calls[0].prompt, {}, calls[0].o).tokens; });
  const facet::Generation g = batched.generate("Hello world", {}, o, [&](const std::string&) { return ++pieces < 3; });
  t.join();
  EXPECT_EQ(g.finish_reason, "cancelled");
  EXPECT_LE(g.tokens.size(), 4u);
  EXPECT_EQ(other, want[0]);
  // Bad values are errors of the call that gave them.
  o.temperature = NAN;
  EXPECT_THROW(batched.generate("Hello", {}, o), facet::InputError);
  po.parallel = 0;
  EXPECT_THROW(facet::Model(device(), kModels + "/llama_tiny", po), facet::UsageError);
}

// A batched LLaVA answers about images as alone, and grounds (in the slot it keeps) between steps.
TEST_F(HostApi, ParallelLlavaAnswersAndGroundsAsAlone) {
  const auto cases = read_json(kModels + "/goldens/llava/llava_tiny/cases.json");
  const auto& c = cases[0];
  facet::ModelOptions po;
  po.parallel = 2;
  facet::Model llava(device(), kModels + "/llava_tiny", po), alone(device(), kModels + "/llava_tiny");
  facet::GenerateOptions o;
  o.max_tokens = static_cast<int>(c["greedy"].size());
  std::string message = c["message"].get<std::string>();
  message.erase(0, std::string("<image>\n").size());
  const facet::Image image = facet::Image::load(kImages + "/" + c["images"][0].get<std::string>());
  facet::GroundOptions go;
  go.max_tokens = 6;
  const std::string want_ground = alone.ground(image, go).raw;
  std::vector<std::vector<int32_t>> replies(3);
  std::string grounded;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < replies.size(); ++i) threads.emplace_back([&, i] { replies[i] = llava.generate(message, {image}, o).tokens; });
  threads.emplace_back([&] { grounded = llava.ground(image, go).raw; });
  for (auto& t : threads) t.join();
  for (const auto& r : replies) EXPECT_EQ(r, c["greedy"].get<std::vector<int32_t>>());
  EXPECT_EQ(grounded, want_ground);
}

TEST_F(HostApi, StableDiffusionDrawsReproducibly) {
  facet::Model sd(device(), kModels + "/sd_tiny");
  EXPECT_EQ(sd.kind(), facet::ModelKind::ImageGenerator);
  facet::ImageOptions o;
  o.prompt = "a photo of a red car";
  o.steps = 3;
  o.seed = 7;
  int steps_seen = 0;
  o.progress = [&](int, int n) {
    EXPECT_EQ(n, 3);
    ++steps_seen;
    return true;
  };
  const facet::Image a = sd.txt2img(o);
  EXPECT_EQ(steps_seen, 3);
  EXPECT_GT(a.width, 0);
  EXPECT_EQ(a.pixels.size(), static_cast<size_t>(a.width * a.height * 3));
  EXPECT_EQ(sd.txt2img(o).pixels, a.pixels);
  o.seed = 8;
  EXPECT_NE(sd.txt2img(o).pixels, a.pixels);
  o.progress = [](int step, int) { return step < 1; };
  EXPECT_THROW(sd.txt2img(o), facet::InputError);
  // PNG round trip.
  const std::vector<uint8_t> png = a.encode_png();
  EXPECT_EQ(facet::Image::decode(png.data(), png.size()).pixels, a.pixels);
}

TEST_F(HostApi, MinesPairsFromEmbeddings) {
  facet::Array clip{{3, 2}, {1, 0, 1, 0.01f, 0, 1}}, dino{{3, 2}, {1, 0, 0, 1, 1, 0}};
  const auto pairs = facet::mine_pairs(clip, dino, {0.9f, 0.5f});
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].a, 0u);
  EXPECT_EQ(pairs[0].b, 1u);
  EXPECT_THROW(facet::mine_pairs(clip, facet::Array{{2, 2}, {1, 0, 0, 1}}), facet::InputError);
}

TEST_F(HostApi, BadInputIsATypedError) {
  EXPECT_THROW(facet::Model(device(), kModels + "/no_such_model"), facet::InputError);
  const uint8_t junk[] = {0x89, 'P', 'N', 'G', 1, 2, 3};
  EXPECT_THROW(facet::Image::decode(junk, sizeof junk, "junk"), facet::InputError);
  facet::Model clip(device(), kModels + "/clip_tiny");
  EXPECT_THROW(clip.embed_images(std::vector<facet::Image>{facet::Image{4, 4, std::vector<uint8_t>(5)}}), facet::InputError);
  EXPECT_THROW(clip.embed_images(std::vector<std::string>{kImages + "/missing.png"}), facet::InputError);
  EXPECT_THROW(clip.txt2img({}), facet::UsageError);
  facet::Model llm(device(), kModels + "/llama_tiny");
  facet::GenerateOptions o;
  o.temperature = std::nan("");
  EXPECT_THROW(llm.generate("hi", {}, o), facet::InputError);
  EXPECT_THROW(llm.generate("hi", {facet::Image::load(kImages + "/rgb_37x23.png")}), facet::UsageError);
}

}  // namespace
