// Split (graph/split.hpp): which constants become row parts, how the parts are named and rejoined,
// and that everything else is copied unchanged.
#include <gtest/gtest.h>

#include "graph/op_registry.hpp"
#include "graph/split.hpp"

namespace facet {
namespace {

struct Counts {
  int matmul = 0, get_rows = 0, concat = 0, add = 0;
};
Counts count_ops(const Graph& g) {
  Counts c;
  for (const Node& n : g.nodes()) {
    c.matmul += n.op == "matmul";
    c.get_rows += n.op == "get_rows";
    c.concat += n.op == "concat";
    c.add += n.op == "add";
  }
  return c;
}
const Node& node(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes())
    if (n.name == name) return n;
  throw std::runtime_error("no node " + name);
}

TEST(Split, TiedEmbeddingAndHeadBecomeSharedRowParts) {
  // A tied [300, 16] f32 table (19 200 bytes) read by get_rows and by the output matmul.
  std::vector<float> table(300 * 16, 0.5f);
  Graph g(core_ops());
  const TensorDesc td(DType::F32, {300, 16});
  ValueId t = g.constant("token_embd", td, {table.data(), td.bytes(), nullptr});
  ValueId e = g.op("embed", "get_rows", {t, g.input("ids", TensorDesc(DType::I32, {3}))});
  ValueId h = g.op("act", "silu", {e});
  g.mark_output(g.op("output", "matmul", {h, t}), "logits");

  EXPECT_FALSE(needs_split(g, td.bytes()));
  ASSERT_TRUE(needs_split(g, 8000));
  Graph s = split_rows(g, 8000);
  // 8000 bytes hold 124 rows of 64 bytes: 64 per part (a multiple of 64), so 5 parts.
  Counts c = count_ops(s);
  EXPECT_EQ(c.get_rows, 5);
  EXPECT_EQ(c.matmul, 5);
  EXPECT_EQ(c.concat, 4);
  EXPECT_EQ(c.add, 4);
  // Parts start at multiples of 64 rows; the last has the remaining 44.
  const Node& last = node(s, "embed.rows256");
  EXPECT_EQ(std::get<int64_t>(last.attrs.at("row_base")), 256);
  EXPECT_EQ(std::get<int64_t>(last.attrs.at("table_rows")), 300);
  EXPECT_EQ(s.value(last.inputs[0]).desc, TensorDesc(DType::F32, {44, 16}));
  EXPECT_EQ(s.value(last.inputs[0]).constant.data, table.data() + 256 * 16);
  // The lookup and the head read the same slice values (one upload per part).
  EXPECT_EQ(node(s, "embed.rows64").inputs[0], node(s, "output.rows64").inputs[1]);
  // The rejoining nodes keep the original names; the graph keeps its output and shapes.
  EXPECT_EQ(node(s, "embed").op, "add");
  EXPECT_EQ(node(s, "output").op, "concat");
  ASSERT_EQ(s.outputs().size(), 1u);
  EXPECT_EQ(s.value(s.outputs()[0]).name, "logits");
  EXPECT_EQ(s.value(s.outputs()[0]).desc, TensorDesc(DType::F32, {3, 300}));
  for (const Node& n : s.nodes()) {
    for (const char* part : {"embed.rows", "output.rows"}) {
      if (n.name.rfind(part, 0) == 0) {
        EXPECT_LE(s.value(n.inputs[n.op == "get_rows" ? 0 : 1]).desc.bytes(), 8000u);
      }
    }
  }
}

TEST(Split, BiasIsSlicedAndOtherValuesAreCopied) {
  std::vector<float> w(130 * 8, 1.0f);
  Graph g(core_ops());
  const TensorDesc wd(DType::F32, {130, 8});
  ValueId x = g.input("x", TensorDesc(DType::F32, {2, 8}));
  ValueId b = g.input("b", TensorDesc(DType::F32, {130}));
  ValueId small = g.op("small", "matmul", {x, g.input("w2", TensorDesc(DType::F32, {4, 8}))});
  g.mark_output(small, "small");
  g.mark_output(g.op("big", "matmul", {x, g.constant("w", wd, {w.data(), wd.bytes(), nullptr}), b}), "big");
  Graph s = split_rows(g, 64 * 32 + 4);  // 64 rows of 32 bytes per part: 64, 64, 2
  EXPECT_EQ(count_ops(s).matmul, 4);
  EXPECT_EQ(node(s, "small").inputs.size(), 2u);
  // The third part reads bias elements [128, 130) through a copy of a view.
  const Node& p = node(s, "big.rows128");
  ASSERT_EQ(p.inputs.size(), 3u);
  EXPECT_EQ(s.value(p.inputs[2]).desc, TensorDesc(DType::F32, {2}));
  const Node& copy = node(s, "big.rows128.contiguous2");
  EXPECT_EQ(copy.op, "copy");
  EXPECT_EQ(s.value(copy.inputs[0]).offset, 128);
  EXPECT_EQ(s.outputs().size(), 2u);
  EXPECT_EQ(s.value(node(s, "big").output).desc, TensorDesc(DType::F32, {2, 130}));
}

TEST(Split, OtherReadersAndStatesStayWhole) {
  std::vector<float> w(64 * 8, 1.0f);
  Graph g(core_ops());
  const TensorDesc wd(DType::F32, {64, 8});
  ValueId c = g.constant("w", wd, {w.data(), wd.bytes(), nullptr});
  ValueId st = g.state("cache", wd);
  ValueId sum = g.op("sum", "add", {c, g.input("y", wd)});
  g.mark_output(g.op("mm", "matmul", {st, g.input("w3", TensorDesc(DType::F32, {2, 8}))}), "mm");
  g.mark_output(sum, "sum");
  EXPECT_FALSE(needs_split(g, 100));  // an add reads the large constant: nothing to split
  Graph s = split_rows(g, 100);
  EXPECT_EQ(s.nodes().size(), g.nodes().size());
  for (size_t i = 0; i < g.nodes().size(); ++i) EXPECT_EQ(s.nodes()[i].name, g.nodes()[i].name);
  EXPECT_EQ(s.fingerprint(), g.fingerprint());
}

}  // namespace
}  // namespace facet
