// Merge: sibling matmuls as one dispatch. A transformer layer reads its normalized input with
// several matmuls of the same shape family: q, k and v; gate and up. On devices where a dispatch
// costs tens of microseconds however small (lavapipe: 40-70 us, and on GPUs a launch each), the
// executor plans the graph as this rewrite of it, where up to three matmuls
//
//   y_i = matmul(x, w_i (, b_i)),  same x [M, K], constant w_i [N_i, K] of one type (, constant b_i)
//
// become one matmul(x, w (, b)) over the constant w = [w_0; w_1; w_2] (rows one after another,
// assembled from the parts' own host bytes as it is uploaded: no copy is kept) with attributes
// part1 = N_0, part2 = N_0 + N_1: its output stores each part as a dense [M, N_i] matrix after the
// other (core/ops/matmul.cpp), and each y_i becomes a view of it at offset M * (N_0 + ... + N_i-1).
// Every output is computed by the same arithmetic as before, so results are bit-identical.
//
// Siblings merge only where the view offsets suit the device's binding alignment, the merged
// weight fits one binding (`limit`), none of them has a residual or parts already, and no graph
// output shares their storage. The merged node takes the first sibling's place and is named
// "<first>+<second>[+<third>]".
#pragma once

#include <cstdint>

#include "graph/graph.hpp"

namespace facet {

// True when merge_siblings would merge something.
bool has_siblings(const Graph& graph, uint64_t alignment, uint64_t limit);

// The rewrite described above; `alignment` is the byte alignment a view's offset needs to be
// bound on its own (storage and texel buffer offsets).
Graph merge_siblings(const Graph& graph, uint64_t alignment, uint64_t limit);

}  // namespace facet
