// Activations, gated units, normalizations, softmax and dtype conversion against their CPU
// references (double precision), at sizes that are not multiples of the workgroup (64) or
// subgroup (8) sizes, and on both work layouts (contiguous runs for CPU devices, interleaved
// for GPUs). Thresholds (normalized MSE) are next to each test.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class NnOpsTest : public VkTest {
 protected:
  void check(const std::function<void(Graph&)>& build, const std::map<std::string, HostTensor>& inputs, double threshold) {
    Graph g(core_ops());
    build(g);
    run_on_both_layouts(g, inputs, threshold);
  }
  static HostTensor random(const TensorDesc& d, uint32_t seed, float scale = 3.0f) {
    return HostTensor::from_f32(d, random_values(d.elements(), seed, -scale, scale));
  }
};

TEST_F(NnOpsTest, Activations) {
  constexpr double kThreshold = 1e-12;  // erf approximation error 1.5e-7 absolute
  for (int64_t n : {1, 9, 1000, 70001}) {  // 1000: whole vec4s, the texel-buffer kernel on CPU devices
    TensorDesc d(DType::F32, {n});
    check(
        [&](Graph& g) {
          ValueId x = g.input("x", d);
          for (const char* act : {"gelu", "gelu_tanh", "quick_gelu", "silu", "relu"})
            g.mark_output(g.op(act, act, {x}), act);
        },
        {{"x", random(d, 1, 6.0f)}}, kThreshold);
  }
}

TEST_F(NnOpsTest, GatedUnits) {
  // 7 x 131: the storage-buffer kernel; 5 x 96 (whole vec4s): the texel-buffer kernel on CPU devices.
  for (TensorDesc d : {TensorDesc(DType::F32, {7, 131}), TensorDesc(DType::F32, {5, 96})}) {
    check(
        [&](Graph& g) {
          ValueId a = g.input("gate", d), b = g.input("up", d);
          for (const char* op : {"swiglu", "geglu", "geglu_tanh"}) g.mark_output(g.op(op, op, {a, b}), op);
        },
        {{"gate", random(d, 2)}, {"up", random(d, 3)}}, 1e-12);
  }
}

TEST_F(NnOpsTest, LayerNormAndRmsNorm) {
  constexpr double kThreshold = 1e-11;  // f32 accumulation over up to 4099 elements
  // cols % 4 == 0 (20, 768, 1024) take the texel-buffer kernel on CPU devices.
  for (auto [rows, cols] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 7}, {9, 20}, {17, 768}, {2, 4099}, {70, 65}, {33, 1024}}) {
    TensorDesc xd(DType::F32, {rows, cols}), pd(DType::F32, {cols});
    check(
        [&](Graph& g) {
          ValueId x = g.input("x", xd), w = g.input("w", pd), b = g.input("b", pd);
          g.mark_output(g.op("ln", "layer_norm", {x, w, b}, {{"eps", 1e-5}}), "ln");
          g.mark_output(g.op("ln_plain", "layer_norm", {x}), "ln_plain");
          g.mark_output(g.op("rms", "rms_norm", {x, w}, {{"eps", 1e-6}}), "rms");
          g.mark_output(g.op("rms_plain", "rms_norm", {x}), "rms_plain");
        },
        {{"x", random(xd, 4)}, {"w", random(pd, 5, 1.0f)}, {"b", random(pd, 6, 1.0f)}}, kThreshold);
  }
}

TEST_F(NnOpsTest, GroupNorm) {
  constexpr double kThreshold = 1e-11;
  for (auto [c, h, w, g] : std::vector<std::array<int64_t, 4>>{{4, 3, 5, 2}, {32, 9, 7, 8}, {6, 1, 1, 3}}) {
    TensorDesc xd(DType::F32, {c, h, w}), pd(DType::F32, {c});
    check(
        [&](Graph& gr) {
          ValueId x = gr.input("x", xd), wt = gr.input("w", pd), b = gr.input("b", pd);
          gr.mark_output(gr.op("gn", "group_norm", {x, wt, b}, {{"groups", g}, {"eps", 1e-6}}), "gn");
          gr.mark_output(gr.op("gn_plain", "group_norm", {x}, {{"groups", g}}), "gn_plain");
        },
        {{"x", random(xd, 9)}, {"w", random(pd, 10, 1.0f)}, {"b", random(pd, 11, 1.0f)}}, kThreshold);
  }
}

TEST_F(NnOpsTest, SoftmaxRows) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 3}, {12, 577}, {3, 5000}}) {
    TensorDesc xd(DType::F32, {rows, cols});
    check(
        [&](Graph& g) {
          ValueId x = g.input("x", xd);
          g.mark_output(g.op("sm", "softmax", {x}), "sm");
          g.mark_output(g.op("sm_scaled", "softmax", {x}, {{"scale", 0.125}}), "sm_scaled");
        },
        {{"x", random(xd, 7, 20.0f)}}, 1e-11);
  }
}

TEST_F(NnOpsTest, ConvertRoundsLikeTheCpu) {
  constexpr double kExact = 0.0;  // rounding is specified: results must be identical
  for (int64_t n : {1, 2, 3, 1001}) {
    TensorDesc d(DType::F32, {n});
    check(
        [&](Graph& g) {
          ValueId x = g.input("x", d);
          ValueId h = g.op("to_f16", "convert", {x}, {{"dtype", int64_t(DType::F16)}});
          ValueId b = g.op("to_bf16", "convert", {x}, {{"dtype", int64_t(DType::BF16)}});
          g.mark_output(g.op("f16_to_f32", "convert", {h}, {{"dtype", int64_t(DType::F32)}}), "h");
          g.mark_output(g.op("bf16_to_f16", "convert", {b}, {{"dtype", int64_t(DType::F16)}}), "bh");
          g.mark_output(g.op("f32_to_f32", "convert", {x}, {{"dtype", int64_t(DType::F32)}}), "same");
        },
        {{"x", random(d, 8, 100.0f)}}, kExact);
  }
}

TEST_F(NnOpsTest, ShapeErrorsNameTheNode) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {4, 8}));
  ValueId w = g.input("w", TensorDesc(DType::F32, {7}));
  EXPECT_THROW(g.op("blk.0.ln", "layer_norm", {x, w}), InputError);
  EXPECT_THROW(g.op("blk.0.glu", "swiglu", {x, w}), InputError);
  EXPECT_THROW(g.op("blk.0.cvt", "convert", {x}, {{"dtype", int64_t(DType::Q8_0)}}), InputError);
  EXPECT_THROW(g.op("blk.0.gn", "group_norm", {x}, {{"groups", int64_t{3}}}), InputError);  // 4 channels, 3 groups
}

}  // namespace
}  // namespace facet::test
