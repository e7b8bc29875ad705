// Merge (graph/merge.hpp): which sibling matmuls become one, how the merged node and weights are
// built, where the siblings' outputs land, and what stays apart.
#include <gtest/gtest.h>

#include <numeric>

#include "graph/merge.hpp"
#include "graph/op_registry.hpp"

namespace facet {
namespace {

int count_op(const Graph& g, const std::string& op) {
  int c = 0;
  for (const Node& n : g.nodes()) c += n.op == op;
  return c;
}
const Node* find_node(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes())
    if (n.name == name) return &n;
  return nullptr;
}
int64_t attr(const Node& n, const std::string& name) { return std::get<int64_t>(n.attrs.at(name)); }

struct Layer {
  std::vector<std::shared_ptr<std::vector<float>>> keep;
  ValueId constant(Graph& g, const std::string& name, TensorDesc d, float first) {
    auto v = std::make_shared<std::vector<float>>(static_cast<size_t>(d.elements()));
    std::iota(v->begin(), v->end(), first);
    keep.push_back(v);
    return g.constant(name, d, {v->data(), d.bytes(), v});
  }
};

TEST(Merge, QkvAndGateUpBecomeOneMatmulEach) {
  const int64_t M = 4, K = 8;
  Graph g(core_ops());
  Layer l;
  ValueId x = g.input("x", TensorDesc(DType::F32, {M, K}));
  ValueId q = g.op("q", "matmul", {x, l.constant(g, "wq", TensorDesc(DType::F32, {8, K}), 0)});
  ValueId k = g.op("k", "matmul", {x, l.constant(g, "wk", TensorDesc(DType::F32, {4, K}), 1000)});
  ValueId v = g.op("v", "matmul", {x, l.constant(g, "wv", TensorDesc(DType::F32, {4, K}), 2000)});
  ValueId kr = g.reshape(k, TensorDesc(DType::F32, {M, 2, 2}));  // a view of a sibling
  ValueId s = g.op("s", "add", {g.op("qk", "add", {q, g.op("kk", "concat", {k, k}, {{"dim", int64_t{1}}})}), q});
  ValueId gate = g.op("gate", "matmul", {s, l.constant(g, "wg", TensorDesc(DType::F32, {12, 8}), 0)});
  ValueId up = g.op("up", "matmul", {s, l.constant(g, "wu", TensorDesc(DType::F32, {12, 8}), 0)});
  g.mark_output(g.op("glu", "swiglu", {gate, up}), "y");
  g.mark_output(g.op("vv", "silu", {v}), "v");
  g.mark_output(g.op("kr2", "silu", {kr}), "k");

  ASSERT_TRUE(has_siblings(g, 16, 1 << 20));
  Graph m = merge_siblings(g, 16, 1 << 20);
  EXPECT_EQ(count_op(m, "matmul"), 2);
  const Node* qkv = find_node(m, "q+k+v");
  ASSERT_NE(qkv, nullptr);
  EXPECT_EQ(attr(*qkv, "part1"), 8);
  EXPECT_EQ(attr(*qkv, "part2"), 12);
  EXPECT_EQ(m.value(qkv->output).desc, TensorDesc(DType::F32, {M, 16}));
  const Node* gu = find_node(m, "gate+up");
  ASSERT_NE(gu, nullptr);
  EXPECT_EQ(attr(*gu, "part1"), 12);
  EXPECT_EQ(attr(*gu, "part2"), 24);
  // The merged node runs where the first sibling ran: before everything that reads q.
  EXPECT_EQ(&m.nodes()[0], qkv);

  // The merged weight: the siblings' rows one after another, produced from their own bytes.
  const Value& w = m.value(qkv->inputs[1]);
  ASSERT_EQ(w.kind, ValueKind::Constant);
  EXPECT_EQ(w.desc, TensorDesc(DType::F32, {16, K}));
  EXPECT_NE(w.constant.tag, 0u);
  ASSERT_TRUE(w.constant.fill);
  std::vector<float> bytes(16 * K);
  w.constant.fill(0, w.desc.bytes(), bytes.data());
  for (int64_t r = 0; r < 16; ++r)
    for (int64_t c = 0; c < K; ++c) {
      const float base = r < 8 ? 0 : r < 12 ? 1000 - 8 * K : 2000 - 12 * K;
      ASSERT_EQ(bytes[static_cast<size_t>(r * K + c)], base + static_cast<float>(r * K + c)) << r << " " << c;
    }
  std::vector<float> piece(5);  // a range across the first two parts
  w.constant.fill((8 * K - 2) * 4, 20, piece.data());
  EXPECT_EQ(piece, (std::vector<float>{62, 63, 1000, 1001, 1002}));

  // Every reader of a sibling now reads a view of the merged output, part after part.
  for (const Node& n : m.nodes()) {
    if (n.name != "qk" && n.name != "kk" && n.name != "vv" && n.name != "kr2") continue;
    for (ValueId in : n.inputs) {
      const Value& iv = m.value(in);
      if (iv.kind != ValueKind::View || iv.base != qkv->output) continue;
      const int64_t want = n.name == "qk" ? 0 : n.name == "vv" ? M * 12 : M * 8;  // q, v, k
      EXPECT_EQ(iv.offset, want) << n.name;
    }
  }
  const Node* kr2 = find_node(m, "kr2");
  ASSERT_NE(kr2, nullptr);
  EXPECT_EQ(m.value(kr2->inputs[0]).base, qkv->output);  // a view of a view: re-based
  EXPECT_EQ(m.value(kr2->inputs[0]).desc, TensorDesc(DType::F32, {M, 2, 2}));
}

TEST(Merge, WhatStaysApart) {
  const int64_t K = 8;
  Layer l;
  auto two = [&](Graph& g, int64_t M, bool output_first) {
    ValueId x = g.input("x", TensorDesc(DType::F32, {M, K}));
    ValueId a = g.op("a", "matmul", {x, l.constant(g, "wa", TensorDesc(DType::F32, {3, K}), 0)});
    ValueId b = g.op("b", "matmul", {x, l.constant(g, "wb", TensorDesc(DType::F32, {3, K}), 0)});
    if (output_first) g.mark_output(a, "a");
    g.mark_output(g.op("s", "concat", {a, b}, {{"dim", int64_t{1}}}), "s");
  };
  {  // b's offset M * 3 floats = 12 bytes: not aligned to 16
    Graph g(core_ops());
    two(g, 1, false);
    EXPECT_FALSE(has_siblings(g, 16, 1 << 20));
    EXPECT_TRUE(has_siblings(g, 4, 1 << 20));
    EXPECT_FALSE(has_siblings(g, 4, 2 * 3 * K * 4 - 1));  // the merged weight would not fit one binding
  }
  {  // a graph output shares a sibling's storage
    Graph g(core_ops());
    two(g, 4, true);
    EXPECT_FALSE(has_siblings(g, 16, 1 << 20));
  }
  {  // different weight types, an input weight, a residual, another x: nothing to merge
    Graph g(core_ops());
    ValueId x = g.input("x", TensorDesc(DType::F32, {4, K})), y = g.input("y", TensorDesc(DType::F32, {4, K}));
    ValueId a = g.op("a", "matmul", {x, l.constant(g, "wa", TensorDesc(DType::F32, {4, K}), 0)});
    ValueId b = g.op("b", "matmul", {x, g.input("wb", TensorDesc(DType::F32, {4, K}))});
    ValueId c = g.op("c", "matmul", {y, l.constant(g, "wc", TensorDesc(DType::F32, {4, K}), 0)});
    ValueId d = g.op("d", "matmul", {x, l.constant(g, "wd", TensorDesc(DType::F32, {4, K}), 0), a}, {{"residual", int64_t{1}}});
    g.mark_output(g.op("s", "concat", {b, c}, {{"dim", int64_t{1}}}), "s");
    g.mark_output(d, "d");
    EXPECT_FALSE(has_siblings(g, 16, 1 << 20));
  }
  {  // four siblings: a group of three, then the one left alone
    Graph g(core_ops());
    ValueId x = g.input("x", TensorDesc(DType::F32, {4, K}));
    std::vector<ValueId> ys;
    for (const char* n : {"a", "b", "c", "d"})
      ys.push_back(g.op(n, "matmul", {x, l.constant(g, std::string("w") + n, TensorDesc(DType::F32, {4, K}), 0)}));
    g.mark_output(g.op("s1", "concat", {ys[0], ys[1]}, {{"dim", int64_t{1}}}), "s1");
    g.mark_output(g.op("s2", "concat", {ys[2], ys[3]}, {{"dim", int64_t{1}}}), "s2");
    Graph m = merge_siblings(g, 16, 1 << 20);
    EXPECT_EQ(count_op(m, "matmul"), 2);
    EXPECT_NE(find_node(m, "a+b+c"), nullptr);
    EXPECT_NE(find_node(m, "d"), nullptr);
  }
}

}  // namespace
}  // namespace facet
