// The Vulkan runtime: barriers only on real dependencies, allocator pools and limits, the
// pipeline cache on disk, fence timeouts, storage-range limits, debug mode and profiling.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "vk/allocator.hpp"
#include "vk/command_recorder.hpp"
#include "vk/kernel_cache.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class RuntimeTest : public VkTest {};

TEST_F(RuntimeTest, BarriersOnlyOnRealDependencies) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {1000}));
  // Three independent nodes (no barrier between them), then one that reads all three.
  ValueId a = g.op("a", "add", {x, x});
  ValueId b = g.op("b", "mul", {x, x});
  ValueId c = g.op("c", "fill", {}, {{"d0", int64_t{1000}}, {"value", 1.0}});
  ValueId d = g.op("d", "add", {g.op("ab", "add", {a, b}), c});
  g.mark_output(d, "out");
  Executor ex(ctx());
  ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {1000}), random_values(1000, 1))}});
  // a, b, c independent; "ab" reads a and b (barrier), "d" reads ab (barrier).
  EXPECT_EQ(ex.last_stats().dispatches, 5u);
  EXPECT_EQ(ex.last_stats().barriers, 2u);
}

TEST_F(RuntimeTest, RecorderExplainsEachBarrier) {
  vk::Allocation buf = ctx().allocator().allocate(4096, vk::MemoryPool::DeviceLocal, "test");
  vk::CommandRecorder rec(ctx());
  const vk::Kernel& fill = ctx().kernels().get("core/fill", std::vector<uint32_t>{64, 0});
  struct {
    uint32_t n, chunk;
    float v;
  } push{512, 1, 2.0f};
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&push), sizeof(push));
  rec.begin();
  rec.dispatch(fill, std::vector<vk::Binding>{{buf.view(0, 2048), true}}, bytes, {8, 1, 1}, "first");
  rec.dispatch(fill, std::vector<vk::Binding>{{buf.view(2048, 2048), true}}, bytes, {8, 1, 1}, "disjoint");
  rec.dispatch(fill, std::vector<vk::Binding>{{buf.view(1024, 2048), true}}, bytes, {8, 1, 1}, "overlapping");
  rec.end();
  rec.submit_and_wait();
  ASSERT_EQ(rec.barrier_count(), 1u);
  EXPECT_EQ(rec.barrier_reasons()[0], "overlapping: write-after-write on the range of first");
}

TEST_F(RuntimeTest, AllocatorReusesFreedRangesAndTrims) {
  vk::Allocator& a = ctx().allocator();
  EXPECT_TRUE(a.zero_copy());  // lavapipe: unified memory
  uint64_t before = a.bytes_in_use();
  {
    vk::Allocation x = a.allocate(1000, vk::MemoryPool::DeviceLocal, "x");
    vk::Allocation y = a.allocate(3000, vk::MemoryPool::HostVisible, "y");
    ASSERT_NE(x.mapped(), nullptr);
    EXPECT_NE(x.view().buffer, y.view().buffer);  // different pools, different blocks
    vk::BufferView first = x.view();
    x.reset();
    vk::Allocation z = a.allocate(900, vk::MemoryPool::DeviceLocal, "z");
    EXPECT_EQ(z.view().offset, first.offset);  // the freed range is reused
  }
  EXPECT_EQ(a.bytes_in_use(), before);
  a.trim();
  EXPECT_EQ(a.bytes_reserved(), 0u);
}

TEST(RuntimeLimits, MemoryLimitGivesTypedErrorAndReleasesEverything) {
  vk::ContextOptions o = validated_options();
  o.memory_limit = 96ull << 20;
  vk::Context ctx(o);
  Graph g(core_ops());
  // 40 MiB constant fits; the arena of two 40 MiB intermediates does not fit beside its block.
  const int64_t n = 10 << 20;
  auto w = std::make_shared<std::vector<float>>(n, 1.0f);
  ValueId c = g.constant("w", TensorDesc(DType::F32, {n}), {w->data(), w->size() * 4, w});
  g.mark_output(g.op("a", "add", {c, c}), "a");
  g.mark_output(g.op("b", "add", {c, c}), "b");
  {
    Executor ex(ctx);
    try {
      ex.run(g, {});
      FAIL() << "no error past the memory limit";
    } catch (const GpuError& e) {
      EXPECT_EQ(e.kind, GpuError::Kind::OutOfDeviceMemory);
      EXPECT_EQ(e.code(), ExitCode::Gpu);
      EXPECT_NE(std::string(e.what()).find("activation arena"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(ctx.allocator().bytes_in_use(), 0u);
  EXPECT_EQ(ctx.validation_message_count(), 0u);
}

TEST(RuntimeLimits, TensorAboveMaxStorageBufferRangeIsRefusedByName) {
  vk::Context ctx(validated_options());
  Graph g(core_ops());
  int64_t n = static_cast<int64_t>(ctx.info().max_storage_buffer_range / 4) + 1;
  g.mark_output(g.op("big", "fill", {}, {{"d0", n}, {"value", 1.0}}), "big");
  Executor ex(ctx);
  try {
    ex.run(g, {});
    FAIL();
  } catch (const GpuError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'big'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("maxStorageBufferRange"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ctx.allocator().bytes_in_use(), 0u);
}

TEST(RuntimeLimits, FenceTimeoutNamesTheKernel) {
  vk::ContextOptions o = validated_options();
  o.timeout_ms = 0;  // any real work outlasts a zero wait
  vk::Context ctx(o);
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {512, 512}));
  ValueId y = g.op("blk.0.mm", "matmul", {x, x});
  g.mark_output(g.op("blk.1.mm", "matmul", {y, x}), "y");
  Executor ex(ctx);
  try {
    ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {512, 512}), random_values(512 * 512, 1))}});
    FAIL() << "no timeout";
  } catch (const GpuError& e) {
    EXPECT_EQ(e.kind, GpuError::Kind::Timeout);
    // The matmul kernel variant depends on the device kind; the node is what must be named.
    EXPECT_TRUE(std::regex_search(std::string(e.what()), std::regex("kernel 'core/matmul(_rows_f32|_f32|_texel_f32)' at node 'blk.1.mm'")))
        << e.what();
  }
}

TEST(RuntimeCache, PipelineCachePersistsPerDevice) {
  vk::ContextOptions o = validated_options();
  o.cache_dir = ::testing::TempDir() + "/cache_persist";
  std::filesystem::remove_all(o.cache_dir);
  std::string path;
  {
    vk::Context ctx(o);
    EXPECT_EQ(ctx.kernels().cache_bytes_loaded(), 0u);
    ctx.kernels().get("core/add", std::vector<uint32_t>{64, 1});
    path = ctx.kernels().cache_path();
    EXPECT_NE(path.find(ctx.info().uuid_hex()), std::string::npos);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  vk::Context again(o);
  EXPECT_GT(again.kernels().cache_bytes_loaded(), 0u);
  EXPECT_EQ(again.validation_message_count(), 0u);
}

TEST_F(RuntimeTest, UnknownKernelIsAnError) {
  EXPECT_THROW(ctx().kernels().get("core/nope"), InputError);
  const uint32_t bad[] = {0xdeadbeef, 0};
  EXPECT_THROW(ctx().kernels().add_source("x/bad", bad, sizeof(bad)), InputError);
}

// A plugin-style dispatch whose CPU reference disagrees with its kernel: debug mode names it.
facet_status wrong_reference(const float* const*, const facet_tensor_desc*, uint32_t, float* out,
                             const facet_tensor_desc* od, const void*, uint32_t, facet_error*) {
  int64_t n = 1;
  for (uint32_t i = 0; i < od->rank; ++i) n *= od->dims[i];
  for (int64_t i = 0; i < n; ++i) out[i] = 42.0f;
  return FACET_OK;
}

TEST_F(RuntimeTest, DebugModeReportsTheFirstDivergingNode) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {4, 4}));
  ValueId a = g.op("blk.0.add", "add", {x, x});
  CustomDispatch d;
  d.kernel = "core/fill";  // the kernel fills 0.5; the "reference" claims 42
  struct {
    uint32_t n, chunk;
    float v;
  } push{16, 16, 0.5f};
  d.push.assign(reinterpret_cast<uint8_t*>(&push), reinterpret_cast<uint8_t*>(&push) + sizeof(push));
  d.spec = {64, 1};
  d.cpu_reference = wrong_reference;
  ValueId b = g.dispatch("blk.1.custom", {}, TensorDesc(DType::F32, {4, 4}), d);
  g.mark_output(g.op("blk.2.mul", "mul", {a, b}), "out");
  Executor ex(ctx(), ExecOptions{true, 1e-6});
  ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {4, 4}), random_values(16, 3))}});
  ASSERT_TRUE(ex.last_stats().mismatch.has_value());
  EXPECT_EQ(ex.last_stats().mismatch->node, "blk.1.custom");
  EXPECT_EQ(ex.last_stats().nodes_checked, 2u);
}

TEST_F(RuntimeTest, ProfilingRecordsEveryDispatch) {
  vk::ContextOptions o = validated_options();
  o.profiling = true;
  vk::Context pctx(o);
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {333}));
  g.mark_output(g.op("n1", "mul", {g.op("n0", "add", {x, x}), x}), "y");
  Executor ex(pctx);
  ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {333}), random_values(333, 2))}});
  ASSERT_EQ(ex.last_stats().timings.size(), 2u);
  EXPECT_EQ(ex.last_stats().timings[1].node, "n1");
  EXPECT_EQ(ex.last_stats().timings[1].kernel, "core/mul");
  EXPECT_GE(ex.last_stats().timings[0].ms, 0.0);
  EXPECT_EQ(pctx.validation_message_count(), 0u);
}

}  // namespace
}  // namespace facet::test
