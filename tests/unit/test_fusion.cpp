// Fusion (graph/fusion.hpp): which add(matmul, r) pairs fold into the matmul, and which do not.
#include <gtest/gtest.h>

#include "graph/fusion.hpp"
#include "graph/op_registry.hpp"

namespace facet {
namespace {

const TensorDesc kX(DType::F32, {3, 8}), kW(DType::F32, {5, 8}), kY(DType::F32, {3, 5});

TEST(Fusion, ResidualAddFoldsIntoTheMatmul) {
  Graph g(core_ops());
  ValueId x = g.input("x", kX), w = g.input("w", kW), r = g.input("r", kY);
  ValueId y = g.op("mm", "matmul", {x, w});
  ValueId s = g.op("res", "add", {r, y});  // the residual on either side
  g.mark_output(g.op("act", "silu", {s}), "out");
  std::vector<Node> nodes = fuse_nodes(g);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].op, "matmul");
  EXPECT_EQ(nodes[0].inputs, (std::vector<ValueId>{x, w, r}));
  EXPECT_EQ(std::get<int64_t>(nodes[0].attrs.at("residual")), 1);
  EXPECT_EQ(nodes[0].output, s);
  EXPECT_EQ(nodes[1].name, "act");
}

TEST(Fusion, OnlyWhenNothingElseSeesTheProductAndTheResidualIsReady) {
  auto fused_count = [](const Graph& g) {
    int n = 0;
    for (const Node& node : fuse_nodes(g)) n += node.attrs.count("residual") ? 1 : 0;
    return n;
  };
  {  // the product is also a graph output
    Graph g(core_ops());
    ValueId y = g.op("mm", "matmul", {g.input("x", kX), g.input("w", kW)});
    g.mark_output(y, "y");
    g.mark_output(g.op("res", "add", {y, g.input("r", kY)}), "out");
    EXPECT_EQ(fused_count(g), 0);
  }
  {  // the product has a second reader
    Graph g(core_ops());
    ValueId y = g.op("mm", "matmul", {g.input("x", kX), g.input("w", kW)});
    g.mark_output(g.op("res", "add", {y, g.input("r", kY)}), "out");
    g.mark_output(g.op("sq", "mul", {y, y}), "sq");
    EXPECT_EQ(fused_count(g), 0);
  }
  {  // the residual is computed after the matmul
    Graph g(core_ops());
    ValueId x = g.input("x", kX);
    ValueId y = g.op("mm", "matmul", {x, g.input("w", kW)});
    ValueId r = g.op("later", "silu", {g.input("r", kY)});
    g.mark_output(g.op("res", "add", {y, r}), "out");
    EXPECT_EQ(fused_count(g), 0);
  }
  {  // a broadcast add
    Graph g(core_ops());
    ValueId y = g.op("mm", "matmul", {g.input("x", kX), g.input("w", kW)});
    g.mark_output(g.op("res", "add", {y, g.input("r", TensorDesc(DType::F32, {5}))}), "out");
    EXPECT_EQ(fused_count(g), 0);
  }
  {  // the residual is a state
    Graph g(core_ops());
    ValueId y = g.op("mm", "matmul", {g.input("x", kX), g.input("w", kW)});
    g.mark_output(g.op("res", "add", {y, g.state("st", kY)}), "out");
    EXPECT_EQ(fused_count(g), 0);
  }
  {  // a residual computed before the matmul, and a chain of two
    Graph g(core_ops());
    ValueId x = g.input("x", kX);
    ValueId r = g.op("early", "silu", {g.input("r", kY)});
    ValueId a = g.op("res1", "add", {g.op("mm1", "matmul", {x, g.input("w", kW)}), r});
    ValueId b = g.op("res2", "add", {a, g.op("mm2", "matmul", {x, g.input("w2", kW)})});
    g.mark_output(b, "out");
    EXPECT_EQ(fused_count(g), 2);
    EXPECT_EQ(fuse_nodes(g).size(), 3u);
  }
}

}  // namespace
}  // namespace facet
