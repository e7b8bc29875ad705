// Executor end to end on the device: ops against CPU math, plan reuse, profiling, debug mode.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "graph/quant.hpp"
#include "vk/allocator.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class ExecutorTest : public VkTest {};

// Reference: y = x w^T + b, then * s, then + x2 (chain of four nodes).
TEST_F(ExecutorTest, LinearChainMatchesCpuMath) {
  const int64_t M = 37, K = 45, N = 29;  // not multiples of the tile or subgroup sizes
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {M, K}));
  auto w_data = std::make_shared<std::vector<float>>(random_values(N * K, 1));
  auto b_data = std::make_shared<std::vector<float>>(random_values(N, 2));
  ValueId w = g.constant("w", TensorDesc(DType::F32, {N, K}), {w_data->data(), w_data->size() * 4, w_data});
  ValueId b = g.constant("b", TensorDesc(DType::F32, {N}), {b_data->data(), b_data->size() * 4, b_data});
  ValueId y = g.op("l0.linear", "matmul", {x, w, b});
  ValueId s = g.op("l0.scale", "fill", {}, {{"d0", int64_t{N}}, {"value", 0.5}});
  ValueId z = g.op("l0.mul", "mul", {y, s});
  ValueId out = g.op("l0.add", "add", {z, y});
  g.mark_output(out, "out");

  std::vector<float> xv = random_values(M * K, 3);
  Executor ex(ctx());
  auto result = ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {M, K}), xv)}});
  std::vector<float> got = result.at("out").to_f32();

  std::vector<float> want(M * N);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = (*b_data)[n];
      for (int64_t k = 0; k < K; ++k) acc += double(xv[m * K + k]) * (*w_data)[n * K + k];
      want[m * N + n] = float(acc * 0.5 + acc);
    }
  EXPECT_LT(nmse(got, want), 1e-10);
  EXPECT_EQ(ex.last_stats().dispatches, 4u);
  EXPECT_EQ(ex.plans_recorded(), 1u);

  // Same graph again: the recorded plan is reused, no re-recording.
  auto again = ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {M, K}), xv)}});
  EXPECT_TRUE(ex.last_stats().reused_plan);
  EXPECT_EQ(ex.plans_recorded(), 1u);
  EXPECT_EQ(again.at("out").to_f32(), got);
}

}  // namespace
}  // namespace facet::test

namespace facet::test {
namespace {
TEST_F(ExecutorTest, DebugModeChecksEveryNode) {
  const int64_t M = 37, K = 45, N = 29;
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {M, K}));
  auto w_data = std::make_shared<std::vector<float>>(random_values(N * K, 1));
  ValueId w = g.constant("w", TensorDesc(DType::F32, {N, K}), {w_data->data(), w_data->size() * 4, w_data});
  ValueId y = g.op("l0.linear", "matmul", {x, w});
  ValueId s = g.op("l0.scale", "fill", {}, {{"d0", int64_t{N}}, {"value", 0.5}});
  ValueId z = g.op("l0.mul", "mul", {y, s});
  g.mark_output(g.op("l0.add", "add", {z, y}), "out");
  Executor ex(ctx(), ExecOptions{true, 1e-8});
  ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {M, K}), random_values(M * K, 3))}});
  EXPECT_EQ(ex.last_stats().nodes_checked, 4u);
  EXPECT_FALSE(ex.last_stats().mismatch.has_value()) << ex.last_stats().mismatch->node;
}
}  // namespace
}  // namespace facet::test

namespace facet::test {
namespace {
// The path of devices without unified memory (discrete GPUs): weights and inputs go through
// staging copies, outputs through read-back copies. Forced on lavapipe so CI covers it.
TEST(ExecutorStaging, StagingPathGivesTheSameResults) {
  const int64_t M = 21, K = 70, N = 13;
  auto w = std::make_shared<std::vector<float>>(random_values(N * K, 5));
  std::vector<float> xv = random_values(M * K, 6);
  auto run = [&](bool zero_copy, bool debug) {
    vk::ContextOptions o = validated_options();
    o.disable_zero_copy = !zero_copy;
    vk::Context ctx(o);
    EXPECT_EQ(ctx.allocator().zero_copy(), zero_copy);
    Graph g(core_ops());
    ValueId x = g.input("x", TensorDesc(DType::F32, {M, K}));
    ValueId wc = g.constant("w", TensorDesc(DType::F32, {N, K}), {w->data(), w->size() * 4, w});
    ValueId y = g.op("mm", "matmul", {x, wc});
    g.mark_output(g.reshape(y, TensorDesc(DType::F32, {M * N})), "flat");
    g.mark_output(g.op("sq", "mul", {y, y}), "sq");
    Executor ex(ctx, ExecOptions{debug, 1e-10});
    auto out = ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {M, K}), xv)}});
    EXPECT_FALSE(ex.last_stats().mismatch.has_value());
    EXPECT_EQ(ctx.validation_message_count(), 0u);
    return std::make_pair(out.at("flat").to_f32(), out.at("sq").to_f32());
  };
  auto direct = run(true, false);
  EXPECT_EQ(run(false, false), direct);
  EXPECT_EQ(run(false, true), direct);
}
}  // namespace
}  // namespace facet::test

namespace facet::test {
namespace {
// A Q8_0 constant read by a matmul (which asks for interleaved rows on CPU devices) and by
// get_rows (plain rows): both layouts are uploaded, through the zero-copy and the staging paths,
// and every node matches its CPU reference.
TEST(ExecutorWeights, OneConstantInTwoLayouts) {
  const int64_t M = 3, K = 512, N = 21;  // N: a padded last group of interleaved rows
  std::vector<float> wv = random_values(N * K, 8);
  auto w = std::make_shared<std::vector<uint8_t>>(quantize(DType::Q8_0, wv.data(), N * K));
  for (bool zero_copy : {true, false}) {
    vk::ContextOptions o = validated_options();
    o.disable_zero_copy = !zero_copy;
    vk::Context ctx(o);
    Graph g(core_ops());
    ValueId wc = g.constant("w", TensorDesc(DType::Q8_0, {N, K}), {w->data(), w->size(), w});
    ValueId rows = g.op("rows", "get_rows", {wc, g.input("ids", TensorDesc(DType::I32, {M}))});
    g.mark_output(g.op("mm", "matmul", {rows, wc}), "y");
    Executor ex(ctx, ExecOptions{true, 1e-10});
    ex.run(g, {{"ids", HostTensor::from_i32({20, 0, 7})}});
    EXPECT_EQ(ex.last_stats().nodes_checked, 2u);
    EXPECT_FALSE(ex.last_stats().mismatch.has_value()) << ex.last_stats().mismatch->node;
    EXPECT_EQ(ctx.validation_message_count(), 0u);
  }
}
}  // namespace
}  // namespace facet::test
