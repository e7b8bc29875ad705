// Graph building, the op registry and shape inference errors.
#include <gtest/gtest.h>

#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "util/half.hpp"

namespace facet {
namespace {

TEST(Registry, CoreOpsAreRegisteredExplicitly) {
  EXPECT_EQ(core_ops().names(), (std::vector<std::string>{"add", "argmax", "attention", "concat", "conv2d", "convert", "copy", "dispatch", "fill", "geglu", "geglu_tanh", "gelu", "gelu_tanh", "get_rows", "group_norm", "im2col", "index_of", "layer_norm", "matmul", "mul", "permute", "quick_gelu", "relu", "resize_bicubic", "rms_norm", "roi_align", "rope", "set_rows", "silu", "slice", "softmax", "splice_rows", "swiglu", "top_k", "upsample_nearest"}));
}

TEST(Registry, UnknownOpIsAnInputErrorListingKnownOps) {
  try {
    core_ops().get("conv9d");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown op 'conv9d' (known: add, argmax, attention, concat, conv2d, convert, copy"), std::string::npos);
  }
}

TEST(Registry, DuplicateOpIsRefused) {
  OpRegistry r;
  register_core_ops(r);
  EXPECT_THROW(register_core_ops(r), InternalError);
}

TEST(Graph, ShapeInferenceNamesTheNode) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {4, 5}));
  ValueId w = g.input("w", TensorDesc(DType::F32, {3, 6}));
  try {
    g.op("blk.2.ffn_up", "matmul", {x, w});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("blk.2.ffn_up: matmul inner dimensions differ"), std::string::npos) << e.what();
  }
  EXPECT_THROW(g.op("b", "add", {x, w}), InputError);
}

TEST(Graph, NodeNamesAreUnique) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {4}));
  g.op("n", "add", {x, x});
  EXPECT_THROW(g.op("n", "add", {x, x}), InputError);
}

TEST(Graph, NonContiguousViewsGetACopyBeforeOpsThatNeedContiguousInputs) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {3, 4}));
  ValueId t = g.view(x, TensorDesc(DType::F32, {4, 3}), {1, 4, 0, 0}, 0);  // transpose
  EXPECT_FALSE(g.value(t).contiguous());
  ValueId y = g.op("sum", "add", {t, t});
  ASSERT_EQ(g.nodes().size(), 3u);  // two copies (one per input slot) + add
  EXPECT_EQ(g.nodes()[0].op, "copy");
  EXPECT_EQ(g.value(y).desc, TensorDesc(DType::F32, {4, 3}));
}

TEST(Graph, ViewsOutsideTheirBaseAreRefused) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {3, 4}));
  EXPECT_THROW(g.view(x, TensorDesc(DType::F32, {4, 4}), {4, 1, 0, 0}, 0), InputError);
  EXPECT_THROW(g.reshape(x, TensorDesc(DType::F32, {5, 2})), InputError);
}

TEST(Graph, FingerprintFollowsShapesAndAttributes) {
  auto make = [](int64_t n, double value) {
    Graph g(core_ops());
    g.mark_output(g.op("f", "fill", {}, {{"d0", n}, {"value", value}}), "out");
    return g.fingerprint();
  };
  EXPECT_EQ(make(4, 1.0), make(4, 1.0));
  EXPECT_NE(make(4, 1.0), make(5, 1.0));
  EXPECT_NE(make(4, 1.0), make(4, 2.0));
}

TEST(DType, BlockSizesAndByteCounts) {
  EXPECT_EQ(TensorDesc(DType::Q8_0, {2, 64}).bytes(), 2u * 2 * 34);
  EXPECT_EQ(TensorDesc(DType::Q4_0, {32}).bytes(), 18u);
  EXPECT_EQ(TensorDesc(DType::Q4_K, {3, 256}).bytes(), 3u * 144);
  EXPECT_EQ(TensorDesc(DType::Q6_K, {256}).bytes(), 210u);
  EXPECT_THROW(TensorDesc(DType::Q8_0, {33}).bytes(), InputError);  // partial block
  EXPECT_THROW(TensorDesc(DType::F32, {1ll << 40, 1ll << 40}).bytes(), InputError);  // overflow
}

TEST(Half, RoundTripsAndRoundsToNearestEven) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f, 0.333251953125f})
    EXPECT_EQ(f16_to_f32(f32_to_f16(f)), f) << f;
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);      // rounds to +inf
  EXPECT_EQ(f32_to_f16(1.0f + 1.0f / 2048), 0x3C00);  // tie -> even
  EXPECT_EQ(f32_to_f16(1.0f + 3.0f / 2048), 0x3C02);  // tie -> even (up)
  EXPECT_EQ(f32_to_f16(2.98023224e-08f), 0x0000);     // half the smallest subnormal: tie -> 0
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.5f)), 1.5f);
  EXPECT_EQ(f32_to_bf16(1.0f + 1.0f / 256), 0x3F80);  // tie -> even
}

}  // namespace
}  // namespace facet
