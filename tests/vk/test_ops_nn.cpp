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

// One input [T, 2n] (diffusers' GEGLU: hidden, gate = x.chunk(2, -1); y = hidden * gelu(gate)):
// the same as the two-input op on the halves cut by slice, with the gate second (default) or
// first. n = 131: the storage-buffer kernel; n = 96: the texel-buffer kernel on CPU devices.
TEST_F(NnOpsTest, GatedUnitsOfOneInputTakeHalves) {
  for (int64_t n : {131, 96}) {
    SCOPED_TRACE(n);
    TensorDesc d(DType::F32, {5, 2 * n});
    Graph g(core_ops());
    ValueId x = g.input("x", d);
    ValueId first = g.op("first", "slice", {x}, {{"dim", int64_t{1}}, {"start", int64_t{0}}, {"end", n}});
    ValueId second = g.op("second", "slice", {x}, {{"dim", int64_t{1}}, {"start", n}, {"end", 2 * n}});
    g.mark_output(g.op("geglu", "geglu", {x}), "geglu");
    g.mark_output(g.op("geglu_halves", "geglu", {second, first}), "geglu_halves");
    g.mark_output(g.op("swiglu", "swiglu", {x}, {{"gate", int64_t{0}}}), "swiglu");
    g.mark_output(g.op("swiglu_halves", "swiglu", {first, second}), "swiglu_halves");
    auto out = run_on_both_layouts(g, {{"x", random(d, 12)}}, 1e-12);
    EXPECT_EQ(out.at("geglu").desc, TensorDesc(DType::F32, {5, n}));
    EXPECT_EQ(out.at("geglu").to_f32(), out.at("geglu_halves").to_f32());
    EXPECT_EQ(out.at("swiglu").to_f32(), out.at("swiglu_halves").to_f32());
  }
  Graph bad(core_ops());
  ValueId odd = bad.input("odd", TensorDesc(DType::F32, {2, 7}));
  EXPECT_THROW(bad.op("blk.2.ff.odd", "geglu", {odd}), InputError);
  EXPECT_THROW(bad.op("blk.2.ff.gate", "geglu", {bad.input("x", TensorDesc(DType::F32, {2, 8}))}, {{"gate", int64_t{2}}}), InputError);
}

// upsample_nearest against indices written here; odd sizes, scales 2 and 3.
TEST_F(NnOpsTest, UpsampleNearest) {
  for (auto [c, h, w, s] : std::vector<std::array<int64_t, 4>>{{3, 5, 7, 2}, {2, 4, 9, 3}}) {
    TensorDesc d(DType::F32, {c, h, w});
    std::vector<float> x = random_values(d.elements(), 13);
    Graph g(core_ops());
    g.mark_output(g.op("up", "upsample_nearest", {g.input("x", d)}, {{"scale", s}}), "y");
    auto out = run_on_both_layouts(g, {{"x", HostTensor::from_f32(d, x)}}, 0.0);
    ASSERT_EQ(out.at("y").desc, TensorDesc(DType::F32, {c, h * s, w * s}));
    const std::vector<float> y = out.at("y").to_f32();
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h * s; ++i)
        for (int64_t j = 0; j < w * s; ++j) ASSERT_EQ(y[(ch * h * s + i) * w * s + j], x[(ch * h + i / s) * w + j / s]);
  }
  Graph bad(core_ops());
  EXPECT_THROW(bad.op("up.bad", "upsample_nearest", {bad.input("x", TensorDesc(DType::F32, {4, 4}))}), InputError);
  EXPECT_THROW(bad.op("up.scale", "upsample_nearest", {bad.input("y", TensorDesc(DType::F32, {1, 4, 4}))}, {{"scale", int64_t{0}}}),
               InputError);
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

// Spatial sizes of whole vec4s (12, 60) take the texel kernel on CPU devices; 15, 63 and 1 do not.
// With silu = 1 the result must be silu(group_norm(x)) as two ops give it.
TEST_F(NnOpsTest, GroupNorm) {
  constexpr double kThreshold = 1e-11;
  for (auto [c, h, w, g] : std::vector<std::array<int64_t, 4>>{{4, 3, 5, 2}, {32, 9, 7, 8}, {6, 1, 1, 3}, {40, 6, 10, 8}, {12, 3, 4, 3}}) {
    SCOPED_TRACE(std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w) + " groups " + std::to_string(g));
    TensorDesc xd(DType::F32, {c, h, w}), pd(DType::F32, {c});
    Graph gr(core_ops());
    ValueId x = gr.input("x", xd), wt = gr.input("w", pd), b = gr.input("b", pd);
    ValueId gn = gr.op("gn", "group_norm", {x, wt, b}, {{"groups", g}, {"eps", 1e-6}});
    gr.mark_output(gn, "gn");
    gr.mark_output(gr.op("gn_plain", "group_norm", {x}, {{"groups", g}}), "gn_plain");
    gr.mark_output(gr.op("gn_silu", "group_norm", {x, wt, b}, {{"groups", g}, {"eps", 1e-6}, {"silu", int64_t{1}}}), "gn_silu");
    gr.mark_output(gr.op("silu_of_gn", "silu", {gn}), "silu_of_gn");
    auto out = run_on_both_layouts(gr, {{"x", random(xd, 9, 5.0f)}, {"w", random(pd, 10, 1.0f)}, {"b", random(pd, 11, 1.0f)}},
                                   kThreshold);
    EXPECT_LT(nmse(out.at("gn_silu").to_f32(), out.at("silu_of_gn").to_f32()), 1e-11);
  }
  Graph bad(core_ops());
  EXPECT_THROW(bad.op("blk.1.gn", "group_norm", {bad.input("x", TensorDesc(DType::F32, {4, 8}))}, {{"groups", int64_t{2}}, {"silu", int64_t{2}}}),
               InputError);
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
