// CLIP-blind pair mining: the blocked scan against a brute-force one, the resumable embedding
// cache, and batched embedding (several images per submission) against one image at a time.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "eval/pair_mining.hpp"
#include "io/embedding_cache.hpp"
#include "io/image.hpp"
#include "pipeline/model_folder.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

const std::string kModels = std::string(FACET_SOURCE_DIR) + "/tests/models";

TEST(MinePairs, BlockedScanFindsExactlyTheBruteForcePairs) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0, 1);
  const size_t count = 150;  // crosses the 64-row blocks
  std::vector<std::vector<float>> clip(count, std::vector<float>(7)), dino(count, std::vector<float>(5));
  for (size_t i = 0; i < count; ++i) {
    for (float& v : clip[i]) v = n(rng) + (i % 3 == 0 ? 3.0f : 0.0f);  // a cluster CLIP finds alike
    for (float& v : dino[i]) v = n(rng);
  }
  auto cosine = [](const std::vector<float>& a, const std::vector<float>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t k = 0; k < a.size(); ++k) ab += a[k] * b[k], aa += a[k] * a[k], bb += b[k] * b[k];
    return ab / std::sqrt(aa * bb);
  };
  std::set<std::pair<size_t, size_t>> want, got;
  for (size_t a = 0; a < count; ++a)
    for (size_t b = a + 1; b < count; ++b)
      if (cosine(clip[a], clip[b]) > 0.8 && cosine(dino[a], dino[b]) < 0.2) want.insert({a, b});
  size_t examined = eval::mine_pairs(clip, dino, 0.8f, 0.2f, [&](const eval::MinedPair& p) {
    EXPECT_LT(p.a, p.b);
    EXPECT_NEAR(p.clip, cosine(clip[p.a], clip[p.b]), 1e-5);
    got.insert({p.a, p.b});
  });
  EXPECT_EQ(examined, count * (count - 1) / 2);
  EXPECT_GT(want.size(), 10u);
  EXPECT_EQ(got, want);
}

TEST(MinePairs, EmbeddingCacheResumesAndDropsTornRecords) {
  const std::string dir = ::testing::TempDir() + "/emb_cache";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string a = dir + "/a.png", b = dir + "/b.png", file = dir + "/c.emb";
  std::ofstream(a) << "aaaa";
  std::ofstream(b) << "bbbbbb";
  {
    io::EmbeddingCache c(file, "model-x");
    c.append(a, {1, 2, 3});
    c.append(b, {4, 5});
  }
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);  // an interrupted write
  {
    io::EmbeddingCache c(file, "model-x");
    EXPECT_EQ(c.size(), 1u);
    EXPECT_EQ(*c.find(a), (std::vector<float>{1, 2, 3}));
    EXPECT_FALSE(c.find(b));
    c.append(b, {6, 7});
  }
  {
    io::EmbeddingCache c(file, "model-x");
    EXPECT_EQ(*c.find(b), (std::vector<float>{6, 7}));
    std::ofstream(a, std::ios::app) << "changed";  // size differs: stale
    EXPECT_FALSE(c.find(a));
  }
  io::EmbeddingCache other(file, "model-y");  // another model: started afresh
  EXPECT_EQ(other.size(), 0u);
}

class BatchEmbed : public VkTest {};

TEST_F(BatchEmbed, ABatchGivesTheSameEmbeddingsAsSingleImages) {
  auto folder = pipeline::ModelFolder::open(kModels + "/dinov2_tiny");
  plugin::PluginRegistry registry({FACET_PLUGIN_DIR});
  Executor ex(ctx());
  std::vector<std::shared_ptr<const HostTensor>> pixels;
  for (const char* image : {"rgb_37x23.png", "gray_19x41.png", "photo_50x33.jpg"})
    pixels.push_back(std::make_shared<const HostTensor>(
        io::preprocess_image(io::load_image(kModels + "/images/" + image), folder.image_processor())));
  std::vector<HostTensor> batch = pipeline::embed_batch(folder, pixels, "embeds", registry, ctx(), ex);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(ex.last_stats().submissions, 1u);
  for (size_t i = 0; i < 3; ++i) {
    std::vector<HostTensor> one = pipeline::embed_batch(folder, {pixels[i]}, "embeds", registry, ctx(), ex);
    EXPECT_EQ(one[0].to_f32(), batch[i].to_f32()) << i;
  }
}

}  // namespace
}  // namespace facet::test
