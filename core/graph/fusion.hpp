// Fusion: the node list the executor records for a graph. Model code writes each operation as
// its own node; on devices where every dispatch costs tens of microseconds (lavapipe: 40-70 us
// however small) the executor folds neighbours together where the result is the same to the bit:
//
//   add(matmul(x, w[, b]), r)  ->  matmul(x, w[, b], r) with attribute residual = 1
//
// The matmul kernels add r in f32 after the product (and bias), exactly what the separate add
// computed, and write the add's output. It applies when the matmul's output is read by that add
// only (no other node, view or graph output), r has the output's shape (no broadcast), and r is
// complete when the matmul runs (an input, a constant, or an intermediate produced earlier; never
// a state, which an in-place node between the two could change). Debug mode records the graph's
// own nodes, so every node is still checked against its CPU reference.
#pragma once

#include <vector>

#include "graph/graph.hpp"

namespace facet {

std::vector<Node> fuse_nodes(const Graph& graph);

}  // namespace facet
