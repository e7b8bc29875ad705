// permute, slice, concat and the interleave built from them, on hand-checkable data and against
// the CPU references on both work layouts.
#include <gtest/gtest.h>

#include <numeric>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class LayoutOpsTest : public VkTest {};

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST_F(LayoutOpsTest, PermuteSliceConcatInterleave) {
  TensorDesc xd(DType::F32, {2, 3, 5}), ad(DType::F32, {4, 6}), bd(DType::F32, {4, 6});
  std::map<std::string, HostTensor> in = {{"x", HostTensor::from_f32(xd, iota(30))},
                                          {"a", HostTensor::from_f32(ad, iota(24))},
                                          {"b", HostTensor::from_f32(bd, random_values(24, 1))}};
  {
    Graph g(core_ops());
    ValueId x = g.input("x", xd), a = g.input("a", ad), b = g.input("b", bd);
    g.mark_output(g.op("perm", "permute", {x}, {{"p0", int64_t{2}}, {"p1", int64_t{0}}, {"p2", int64_t{1}}}), "perm");
    g.mark_output(g.op("slice", "slice", {x}, {{"dim", int64_t{-1}}, {"start", int64_t{1}}, {"end", int64_t{4}}}), "slice");
    g.mark_output(g.op("cat0", "concat", {a, b}, {{"dim", int64_t{0}}}), "cat0");
    g.mark_output(g.op("cat1", "concat", {a, b}, {{"dim", int64_t{1}}}), "cat1");
    // Interleave rows: [4, 1, 6] + [4, 1, 6] -> [4, 2, 6] -> [8, 6] = a0, b0, a1, b1, ...
    ValueId a3 = g.reshape(a, TensorDesc(DType::F32, {4, 1, 6})), b3 = g.reshape(b, TensorDesc(DType::F32, {4, 1, 6}));
    ValueId inter = g.op("interleave", "concat", {a3, b3}, {{"dim", int64_t{1}}});
    g.mark_output(g.reshape(inter, TensorDesc(DType::F32, {8, 6})), "interleaved");
    auto out = run_on_both_layouts(g, in, 0.0);

    EXPECT_EQ(out.at("perm").desc, TensorDesc(DType::F32, {5, 2, 3}));
    std::vector<float> p = out.at("perm").to_f32();
    EXPECT_EQ(p[1 * 6 + 1 * 3 + 2], 1 * 15 + 2 * 5 + 1);  // y[d, a, b] = x[a, b, d]
    std::vector<float> s = out.at("slice").to_f32();
    EXPECT_EQ(out.at("slice").desc, TensorDesc(DType::F32, {2, 3, 3}));
    EXPECT_EQ(s[0], 1.0f);
    EXPECT_EQ(s[3], 6.0f);
    std::vector<float> il = out.at("interleaved").to_f32(), bv = in.at("b").to_f32();
    EXPECT_EQ(il[2 * 6 + 3], 6 + 3.0f);  // row 2 = a row 1
    EXPECT_EQ(il[3 * 6 + 3], bv[6 + 3]);  // row 3 = b row 1
    EXPECT_EQ(out.at("cat1").desc, TensorDesc(DType::F32, {4, 12}));
  }
}

// splice_rows: image rows in place of their placeholder tokens. T = 37 and D = 13 are not
// multiples of a workgroup or subgroup; media row references -1 .. -5 (and one out of range,
// clamped) are mixed with text rows.
TEST_F(LayoutOpsTest, SpliceRowsPutsMediaRowsInPlaceOfNegativeIds) {
  const int64_t T = 37, D = 13, N = 5;
  TensorDesc xd(DType::F32, {T, D}), md(DType::F32, {N, D});
  std::vector<int32_t> ids(T);
  for (int64_t t = 0; t < T; ++t) ids[t] = (t >= 3 && t < 3 + N) ? static_cast<int32_t>(-1 - (t - 3)) : static_cast<int32_t>(t * 7);
  ids[T - 1] = -9;  // beyond the media: clamped to the last row
  std::map<std::string, HostTensor> in = {{"x", HostTensor::from_f32(xd, random_values(T * D, 3))},
                                          {"m", HostTensor::from_f32(md, random_values(N * D, 4))},
                                          {"ids", HostTensor::from_i32(ids)}};
  Graph g(core_ops());
  ValueId y = g.op("splice", "splice_rows", {g.input("x", xd), g.input("m", md), g.input("ids", TensorDesc(DType::I32, {T}))});
  g.mark_output(y, "y");
  auto out = run_on_both_layouts(g, in, 0.0);
  std::vector<float> yv = out.at("y").to_f32(), xv = in.at("x").to_f32(), mv = in.at("m").to_f32();
  for (int64_t d = 0; d < D; ++d) {
    EXPECT_EQ(yv[0 * D + d], xv[0 * D + d]);
    EXPECT_EQ(yv[3 * D + d], mv[0 * D + d]);
    EXPECT_EQ(yv[7 * D + d], mv[4 * D + d]);
    EXPECT_EQ(yv[8 * D + d], xv[8 * D + d]);
    EXPECT_EQ(yv[(T - 1) * D + d], mv[(N - 1) * D + d]);
  }
  Graph bad(core_ops());
  EXPECT_THROW(bad.op("s", "splice_rows", {bad.input("x", xd), bad.input("m", TensorDesc(DType::F32, {N, D + 1})),
                                            bad.input("ids", TensorDesc(DType::I32, {T}))}),
               InputError);
}

TEST_F(LayoutOpsTest, BadAttributesAreErrors) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {2, 3}));
  EXPECT_THROW(g.op("p", "permute", {x}, {{"p0", int64_t{0}}, {"p1", int64_t{0}}}), InputError);
  EXPECT_THROW(g.op("s", "slice", {x}, {{"dim", int64_t{1}}, {"start", int64_t{2}}, {"end", int64_t{2}}}), InputError);
  EXPECT_THROW(g.op("c", "concat", {x, g.input("y", TensorDesc(DType::F32, {3, 3}))}, {{"dim", int64_t{1}}}), InputError);
  EXPECT_THROW(g.op("d", "slice", {x}, {{"dim", int64_t{5}}, {"start", int64_t{0}}, {"end", int64_t{1}}}), InputError);
}

}  // namespace
}  // namespace facet::test
