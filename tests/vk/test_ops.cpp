// Core ops on the device against their CPU references, at sizes that are not multiples of the
// workgroup (64), tile (16) or subgroup (8) sizes, 1-element and large cases, each dtype.
// Error = normalized MSE; thresholds are next to each test.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "graph/quant.hpp"
#include "util/half.hpp"

#include <cstring>
#include <random>
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class OpsTest : public VkTest {
 protected:
  void expect_matches_reference(const Graph& g, const std::map<std::string, HostTensor>& inputs, double threshold) {
    run_on_both_layouts(g, inputs, threshold);
  }
  HostTensor random(const TensorDesc& d, uint32_t seed) { return HostTensor::from_f32(d, random_values(d.elements(), seed)); }
};

TEST_F(OpsTest, ElementwiseAtAwkwardSizes) {
  constexpr double kThreshold = 1e-12;  // exact in f32
  for (int64_t n : {1, 7, 63, 65, 1000, 1 << 20 | 3}) {
    Graph g(core_ops());
    ValueId a = g.input("a", TensorDesc(DType::F32, {n}));
    ValueId b = g.input("b", TensorDesc(DType::F32, {n}));
    ValueId s = g.op("sum", "add", {a, b});
    ValueId p = g.op("prod", "mul", {s, b});
    ValueId f = g.op("fill", "fill", {}, {{"d0", n}, {"value", 0.25}});
    g.mark_output(g.op("out", "add", {p, f}), "out");
    expect_matches_reference(g, {{"a", random(TensorDesc(DType::F32, {n}), 1)}, {"b", random(TensorDesc(DType::F32, {n}), 2)}},
                             kThreshold);
  }
}

TEST_F(OpsTest, BroadcastAlongLeadingDims) {
  // Inner size 7: the storage-buffer kernels; 20 (whole vec4s): the texel-buffer kernels on CPU devices.
  for (int64_t inner : {7, 20}) {
    TensorDesc ad(DType::F32, {3, 5, inner}), bd(DType::F32, {5, inner}), cd(DType::F32, {inner});
    Graph g(core_ops());
    ValueId a = g.input("a", ad), b = g.input("b", bd), c = g.input("c", cd);
    g.mark_output(g.op("m", "mul", {g.op("s", "add", {a, b}), c}), "out");
    expect_matches_reference(g, {{"a", random(ad, 1)}, {"b", random(bd, 2)}, {"c", random(cd, 3)}}, 1e-12);
  }
}

TEST_F(OpsTest, StridedCopyTransposes) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {5, 9, 3}));
  // permute (0, 2, 1): [5, 3, 9] with strides (27, 1, 3), and a slice with an offset.
  ValueId t = g.view(x, TensorDesc(DType::F32, {5, 3, 9}), {27, 1, 3, 0}, 0);
  g.mark_output(g.op("transpose", "copy", {t}), "t");
  ValueId s = g.view(x, TensorDesc(DType::F32, {2, 4}), {27, 3, 0, 0}, 4);
  g.mark_output(g.op("slice", "copy", {s}), "s");
  HostTensor xv = random(TensorDesc(DType::F32, {5, 9, 3}), 4);
  Executor ex(ctx());
  auto out = ex.run(g, {{"x", xv}});
  std::vector<float> xs = xv.to_f32(), ts = out.at("t").to_f32(), ss = out.at("s").to_f32();
  for (int a = 0; a < 5; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 9; ++c) ASSERT_EQ(ts[(a * 3 + b) * 9 + c], xs[(a * 9 + c) * 3 + b]);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 4; ++b) ASSERT_EQ(ss[a * 4 + b], xs[4 + a * 27 + b * 3]);
}

TEST_F(OpsTest, MatmulF32F16Bf16WeightsWithAndWithoutBias) {
  constexpr double kF32 = 1e-10;  // accumulation order only
  struct Shape {
    int64_t batch, M, K, N;
    bool batched_w;
  };
  // Each kernel the selection can take. CPU devices (f32 K % 4, f16/bf16 K % 8): constant weights
  // in interleaved rows of 8 (N = 37, 21, 13, 130, 600: padded last groups) take the texel-buffer
  // tiles of 1 x 8 (M < 4: 1x96, 2x12 f32, 3x96x600, 3x1040x600), 4 x 16 (5x64) and 16 x 16
  // (128x96) outputs; the same weights as graph inputs (plain rows) take the texel-buffer
  // matrix-vector kernel for M < 4 and the same tiles with G = 1 (and 19x40 batched); the
  // row-streaming kernel otherwise (K = 1, 77, 17; 2x12 f16). GPUs: the matrix-vector kernel
  // (M <= 8, K % 8 == 0) or the shared-memory tiles.
  for (Shape sh : {Shape{1, 1, 96, 37, false}, Shape{1, 2, 12, 21, false}, Shape{1, 5, 64, 130, false},
                   Shape{1, 1, 1, 1, false}, Shape{1, 1, 77, 13, false}, Shape{1, 33, 17, 65, false},
                   Shape{3, 19, 40, 9, true}, Shape{2, 128, 96, 100, false}, Shape{1, 3, 96, 600, false},
                   Shape{1, 3, 1040, 600, false}}) {
    for (DType wt : {DType::F32, DType::F16, DType::BF16}) {
      for (bool constant : {true, false}) {
        const bool bias = constant;  // each kernel with and without bias
        Graph g(core_ops());
        TensorDesc xd = sh.batch > 1 ? TensorDesc(DType::F32, {sh.batch, sh.M, sh.K}) : TensorDesc(DType::F32, {sh.M, sh.K});
        TensorDesc wd = sh.batched_w ? TensorDesc(wt, {sh.batch, sh.N, sh.K}) : TensorDesc(wt, {sh.N, sh.K});
        ValueId x = g.input("x", xd);
        auto wbytes = std::make_shared<std::vector<uint8_t>>(random(wd, 9).bytes);
        ValueId w = constant ? g.constant("w", wd, {wbytes->data(), wbytes->size(), wbytes}) : g.input("w", wd);
        std::vector<ValueId> ins = {x, w};
        if (bias) ins.push_back(g.input("b", TensorDesc(DType::F32, {sh.N})));
        g.mark_output(g.op("mm", "matmul", ins), "y");
        std::map<std::string, HostTensor> inputs = {{"x", random(xd, 7)}};
        if (!constant) inputs["w"] = HostTensor{wd, *wbytes};
        if (bias) inputs["b"] = random(TensorDesc(DType::F32, {sh.N}), 8);
        SCOPED_TRACE(std::to_string(sh.M) + "x" + std::to_string(sh.K) + "x" + std::to_string(sh.N) + " " +
                     std::string(dtype_name(wt)) + (constant ? " constant, bias" : " input"));
        expect_matches_reference(g, inputs, kF32);
      }
    }
  }
}

TEST_F(OpsTest, MatmulWithBlockQuantizedWeights) {
  constexpr double kThreshold = 1e-10;  // same dequantization on both sides; summation order only
  // K = 3 blocks of 32: the storage-buffer kernels. K % 256 == 0: on CPU devices constant weights
  // take the texel-buffer kernels (steps of 256 weights) in interleaved rows of 8 (N = 13 and 300:
  // a padded last group; many tiles at N = 300, 17 steps at K = 4352): Q8_0, Q4_0 and Q4_1 in
  // split runs with tiles of 1 x 8 (M = 1, 3), 4 x 16 (M = 7) and 16 x 16 (M = 20); Q4_K raw and
  // Q6_K padded to 224 bytes with tiles of 1 x 4 and 4 x 16. Input weights keep their plain
  // blocks: Q4_K's texel kernel in plain rows (G = 1), the others the storage-buffer kernels.
  struct Case {
    int64_t M, K, N;
  };
  for (DType wt : {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q4_K, DType::Q6_K}) {
    const int64_t block = dtype_info(wt).block_elems;
    for (Case cs : {Case{1, block * 3, 13}, Case{7, block * 3, 13}, Case{20, block * 3, 13}, Case{1, 512, 13},
                    Case{7, 512, 13}, Case{20, 512, 13}, Case{3, 768, 300}, Case{1, 4352, 13}}) {
      if (cs.K % block != 0) continue;
      const int64_t M = cs.M, K = cs.K, N = cs.N;
      {
        Graph g(core_ops());
        TensorDesc xd(DType::F32, {M, K}), wd(wt, {N, K});
        auto w = std::make_shared<std::vector<uint8_t>>(random_blocks(wt, N * K, 11));
        ValueId wc = g.constant("w", wd, {w->data(), w->size(), w});
        g.mark_output(g.op("mm", "matmul", {g.input("x", xd), wc, g.input("b", TensorDesc(DType::F32, {N}))}), "y");
        SCOPED_TRACE(std::string(dtype_name(wt)) + " M=" + std::to_string(M) + " K=" + std::to_string(K));
        expect_matches_reference(g, {{"x", random(xd, 12)}, {"b", random(TensorDesc(DType::F32, {N}), 13)}}, kThreshold);
        if (cs.K % 256 == 0) {
          // The same weight as a graph input: no upload layout, so plain rows.
          Graph gi(core_ops());
          gi.mark_output(gi.op("mm", "matmul", {gi.input("x", xd), gi.input("w", wd)}), "y");
          expect_matches_reference(gi, {{"x", random(xd, 12)}, {"w", HostTensor{wd, *w}}}, kThreshold);
        }
      }
    }
  }
}

// The fp16-arithmetic builds of the GPU tiles ("core/matmul_<type>_fp16"), chosen for weights of
// 16 bits or less where the device has shaderFloat16 (lavapipe has; its GPU layout is forced).
// x is rounded to f16 once and 4 products are summed in f16 before the f32 accumulator, so the
// error is that rounding: measured NMSE 1.8e-7 .. 2.3e-7 against the CPU reference (f32 kernels: < 1e-10).
TEST(OpsFp16, MatmulTilesWithFp16Arithmetic) {
  constexpr double kThreshold = 2e-6;
  vk::ContextOptions o = validated_options();
  o.disable_fp16_arithmetic = false;
  o.profiling = true;
  {
    vk::Context probe(o);
    if (!probe.info().fp16_arithmetic) GTEST_SKIP() << "device without shaderFloat16: " << probe.info().name;
    o.flip_work_layout = probe.info().quirks.contiguous_work_layout;  // the GPU kernels
  }
  struct Case {
    DType w;
    int64_t batch, M, K, N;
  };
  for (Case cs : {Case{DType::F16, 1, 33, 40, 65}, Case{DType::BF16, 1, 128, 96, 100}, Case{DType::F16, 3, 19, 40, 9},
                  Case{DType::Q8_0, 1, 20, 512, 13}, Case{DType::Q4_0, 1, 9, 96, 300}, Case{DType::Q4_1, 1, 20, 64, 17},
                  Case{DType::Q4_K, 1, 20, 768, 13}, Case{DType::Q6_K, 1, 12, 256, 40}}) {
    SCOPED_TRACE(std::string(dtype_name(cs.w)) + " " + std::to_string(cs.M) + "x" + std::to_string(cs.K) + "x" +
                 std::to_string(cs.N));
    Graph g(core_ops());
    const bool batched = cs.batch > 1;
    TensorDesc xd = batched ? TensorDesc(DType::F32, {cs.batch, cs.M, cs.K}) : TensorDesc(DType::F32, {cs.M, cs.K});
    TensorDesc wd = batched ? TensorDesc(cs.w, {cs.batch, cs.N, cs.K}) : TensorDesc(cs.w, {cs.N, cs.K});
    auto w = std::make_shared<std::vector<uint8_t>>(
        dtype_info(cs.w).block_elems > 1 ? random_blocks(cs.w, wd.elements(), 21)
                                         : HostTensor::from_f32(wd, random_values(static_cast<size_t>(wd.elements()), 22)).bytes);
    std::vector<ValueId> ins = {g.input("x", xd), g.constant("w", wd, {w->data(), w->size(), w})};
    if (!batched) ins.push_back(g.input("b", TensorDesc(DType::F32, {cs.N})));
    g.mark_output(g.op("mm", "matmul", ins), "y");
    std::map<std::string, HostTensor> inputs = {
        {"x", HostTensor::from_f32(xd, random_values(static_cast<size_t>(xd.elements()), 23))}};
    if (!batched) inputs["b"] = HostTensor::from_f32(TensorDesc(DType::F32, {cs.N}), random_values(static_cast<size_t>(cs.N), 24));
    vk::Context ctx(o);
    Executor ex(ctx, ExecOptions{true, kThreshold});
    ex.run(g, inputs);
    const RunStats& s = ex.last_stats();
    ASSERT_EQ(s.timings.size(), 1u);
    EXPECT_EQ(s.timings[0].kernel, "core/matmul_" + std::string(dtype_name(cs.w)) + "_fp16");
    EXPECT_FALSE(s.mismatch.has_value()) << "nmse " << s.mismatch->nmse;
    EXPECT_EQ(ctx.validation_message_count(), 0u);
  }
}

}  // namespace
}  // namespace facet::test
