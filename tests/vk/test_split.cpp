// Weights above the binding limit on the device (graph/split.hpp): a graph whose embedding table
// and output head are split into row parts gives the same outputs, to the bit, as the whole
// weights, on both work layouts and every weight type; debug mode checks each part node; anything
// else too large is a clear GpuError naming the tensor.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "graph/quant.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

std::shared_ptr<std::vector<uint8_t>> weight_bytes(DType t, int64_t rows, int64_t cols, uint32_t seed) {
  std::vector<float> v = random_values(static_cast<size_t>(rows * cols), seed);
  return std::make_shared<std::vector<uint8_t>>(dtype_info(t).block_elems > 1 ? quantize(t, v.data(), rows * cols)
                                                                              : convert_from_f32(t, v.data(), rows * cols));
}

TEST(SplitOnDevice, RowPartsEqualTheWholeWeights) {
  constexpr int64_t kVocab = 300, kDim = 512, kTokens = 5;
  for (DType t : {DType::F32, DType::F16, DType::Q8_0, DType::Q4_0}) {
    const int64_t dim = kDim;
    SCOPED_TRACE(dtype_name(t));
    // A tied table: token lookup, a small block, the output head over the same constant.
    Graph g(core_ops());
    const TensorDesc td(t, {kVocab, dim});
    auto table = weight_bytes(t, kVocab, dim, 1);
    ValueId tab = g.constant("token_embd", td, {table->data(), table->size(), table});
    ValueId ids = g.input("ids", TensorDesc(DType::I32, {kTokens}));
    ValueId h = g.op("act", "silu", {g.op("embed", "get_rows", {tab, ids})});
    ValueId b = g.input("bias", TensorDesc(DType::F32, {kVocab}));
    g.mark_output(g.op("output", "matmul", {h, tab, b}), "logits");
    // Ids across every part, and out of range on both sides (clamped to the first and last rows).
    std::vector<int32_t> idv = {0, 299, 64, -3, 1000};
    std::map<std::string, HostTensor> inputs = {
        {"ids", HostTensor::from_i32(idv)}, {"bias", HostTensor::from_f32(TensorDesc(DType::F32, {kVocab}), random_values(kVocab, 2))}};
    const uint64_t limit = td.bytes() / 3;  // four parts, above every activation
    for (bool flip : {false, true}) {
      vk::ContextOptions o = validated_options();
      o.flip_work_layout = flip;
      vk::Context ctx(o);
      Executor whole(ctx), split(ctx, ExecOptions{false, 0, limit}), checked(ctx, ExecOptions{true, 1e-10, limit});
      std::vector<float> want = whole.run(g, inputs).at("logits").to_f32();
      std::vector<float> got = split.run(g, inputs).at("logits").to_f32();
      EXPECT_EQ(got, want) << (flip ? "GPU layout" : "CPU layout");
      EXPECT_GT(split.last_stats().dispatches, whole.last_stats().dispatches + 4);
      EXPECT_EQ(split.last_stats().weight_bytes, whole.last_stats().weight_bytes);  // parts, not copies
      checked.run(g, inputs);
      EXPECT_FALSE(checked.last_stats().mismatch.has_value()) << checked.last_stats().mismatch->node;
      EXPECT_GT(checked.last_stats().nodes_checked, g.nodes().size() + 8);
      EXPECT_EQ(ctx.validation_message_count(), 0u);
    }
  }
}

// The device's own limit: a tied f32 table one row longer than maxStorageBufferRange allows.
TEST_F(VkTest, WeightsAboveTheDeviceLimitRunInParts) {
  constexpr int64_t kDim = 1024;
  const int64_t rows = static_cast<int64_t>(ctx().info().max_storage_buffer_range / (kDim * 4)) + 1;
  if (rows > (int64_t{1} << 22)) GTEST_FAIL() << "device limit too large for this test: " << ctx().info().max_storage_buffer_range;
  const TensorDesc td(DType::F32, {rows, kDim});
  auto table = std::make_shared<std::vector<float>>(static_cast<size_t>(rows * kDim));
  for (size_t i = 0; i < table->size(); ++i) (*table)[i] = static_cast<float>(static_cast<int>(i % 7919) - 3959) / 4096.0f;
  Graph g(core_ops());
  ValueId tab = g.constant("token_embd", td, {table->data(), td.bytes(), table});
  ValueId e = g.op("embed", "get_rows", {tab, g.input("ids", TensorDesc(DType::I32, {2}))});
  g.mark_output(e, "embed");
  g.mark_output(g.op("output", "matmul", {e, tab}), "logits");
  Executor ex(ctx());
  const std::vector<int32_t> ids = {3, static_cast<int32_t>(rows - 1)};
  auto out = ex.run(g, {{"ids", HostTensor::from_i32(ids)}});
  std::vector<float> embed = out.at("embed").to_f32(), logits = out.at("logits").to_f32();
  for (size_t t = 0; t < 2; ++t)
    for (int64_t d = 0; d < kDim; ++d) ASSERT_EQ(embed[t * kDim + d], (*table)[ids[t] * kDim + d]);
  double err = 0, ref = 0;
  for (size_t t = 0; t < 2; ++t)
    for (int64_t n = 0; n < rows; n += 97) {
      double acc = 0;
      for (int64_t k = 0; k < kDim; ++k) acc += double((*table)[ids[t] * kDim + k]) * (*table)[n * kDim + k];
      const double diff = logits[t * rows + n] - acc;
      err += diff * diff;
      ref += acc * acc;
    }
  EXPECT_LT(err / ref, 1e-10);
}

TEST_F(VkTest, TensorsThatCannotBeSplitAreRejectedByName) {
  Graph g(core_ops());
  const TensorDesc d(DType::F32, {64, 16});
  auto w = weight_bytes(DType::F32, 64, 16, 3);
  ValueId c = g.constant("big", d, {w->data(), w->size(), w});
  g.mark_output(g.op("sum", "add", {c, g.input("y", d)}), "sum");
  Executor ex(ctx(), ExecOptions{false, 0, 1024});
  try {
    ex.run(g, {{"y", HostTensor::from_f32(d, random_values(64 * 16, 4))}});
    FAIL() << "expected a GpuError";
  } catch (const GpuError& e) {
    EXPECT_NE(std::string(e.what()).find("'big'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1024 bytes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace facet::test
