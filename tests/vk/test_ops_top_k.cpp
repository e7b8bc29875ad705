// top_k: the best k of each row in descending order, ties to the smaller index, NaN skipped,
// against hand-worked rows and a full sort of vocabulary-sized logits written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class TopKTest : public VkTest {};

std::map<std::string, HostTensor> run_top_k(const TensorDesc& xd, const std::vector<float>& x, int64_t k) {
  Graph g(core_ops());
  ValueId in = g.input("x", xd);
  g.mark_output(g.op("idx", "top_k", {in}, {{"k", k}}), "indices");
  g.mark_output(g.op("val", "top_k", {in}, {{"k", k}, {"values", int64_t{1}}}), "values");
  return run_on_both_layouts(g, {{"x", HostTensor::from_f32(xd, x)}}, 0.0);
}

TEST_F(TopKTest, TiesNaNAndShortRows) {
  const int64_t cols = 37;
  std::vector<float> x(3 * cols, -5.0f);
  // Row 0: 9 at 30, then a three-way tie of 4 at 2, 20, 33 (smaller index first), then 1 at 0.
  x[30] = 9, x[2] = 4, x[20] = 4, x[33] = 4, x[0] = 1;
  // Row 1: NaN everywhere but three values: k = 5 ends with -1 twice.
  for (int64_t i = 0; i < cols; ++i) x[cols + i] = NAN;
  x[cols + 36] = -1, x[cols + 5] = 3, x[cols + 11] = -INFINITY;
  // Row 2: descending from the end (every element in a different list of the kernel).
  for (int64_t i = 0; i < cols; ++i) x[2 * cols + i] = static_cast<float>(i);
  // Indices only: the -inf values of the short row are compared below, not by the debug check.
  Graph g(core_ops());
  g.mark_output(g.op("idx", "top_k", {g.input("x", TensorDesc(DType::F32, {3, cols}))}, {{"k", int64_t{5}}}), "indices");
  auto out = run_on_both_layouts(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {3, cols}), x)}}, 0.0);
  EXPECT_EQ(out.at("indices").desc.dims[1], 5);
  EXPECT_EQ(out.at("indices").to_f32(), (std::vector<float>{30, 2, 20, 33, 0, 5, 36, 11, -1, -1, 36, 35, 34, 33, 32}));
  Executor ex(ctx());
  Graph gv(core_ops());
  gv.mark_output(gv.op("val", "top_k", {gv.input("x", TensorDesc(DType::F32, {3, cols}))}, {{"k", int64_t{5}}, {"values", int64_t{1}}}),
                 "values");
  const auto v = ex.run(gv, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {3, cols}), x)}}).at("values").to_f32();
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 5), (std::vector<float>{9, 4, 4, 4, 1}));
  EXPECT_EQ(v[5], 3.0f);
  EXPECT_EQ(v[6], -1.0f);
  EXPECT_EQ(v[7], -INFINITY);  // a real -inf value (index 11)
  EXPECT_EQ(v[8], -INFINITY);  // no value (index -1)
}

TEST_F(TopKTest, VocabularySizedLogitsMatchAFullSort) {
  const int64_t rows = 2, cols = 32000, k = 40;
  std::vector<float> x = random_values(rows * cols, 21, -8, 8);
  for (int64_t i = 0; i < 200; ++i) x[static_cast<size_t>(i * 97)] = 7.5f;  // many ties near the top
  auto out = run_top_k(TensorDesc(DType::F32, {rows, cols}), x, k);
  const std::vector<float> idx = out.at("indices").to_f32(), val = out.at("values").to_f32();
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int64_t> order(static_cast<size_t>(cols));
    std::iota(order.begin(), order.end(), 0);
    const float* row = &x[static_cast<size_t>(r * cols)];
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    for (int64_t j = 0; j < k; ++j) {
      ASSERT_EQ(idx[static_cast<size_t>(r * k + j)], static_cast<float>(order[static_cast<size_t>(j)])) << "row " << r << " rank " << j;
      ASSERT_EQ(val[static_cast<size_t>(r * k + j)], row[order[static_cast<size_t>(j)]]);
    }
  }
}

TEST_F(TopKTest, AttributeErrors) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {2, 10}));
  EXPECT_THROW(g.op("a", "top_k", {x}), InputError);                         // no k
  EXPECT_THROW(g.op("b", "top_k", {x}, {{"k", int64_t{0}}}), InputError);    // k < 1
  EXPECT_THROW(g.op("c", "top_k", {x}, {{"k", int64_t{11}}}), InputError);   // k > C
  ValueId wide = g.input("w", TensorDesc(DType::F32, {1, 1000}));
  EXPECT_THROW(g.op("d", "top_k", {wide}, {{"k", int64_t{65}}}), InputError);  // k > 64
  EXPECT_THROW(g.op("e", "top_k", {g.input("i", TensorDesc(DType::I32, {4}))}, {{"k", int64_t{1}}}), InputError);
}

}  // namespace
}  // namespace facet::test
