// Split: a graph whose large weights fit the device's bindings. A kernel binds each tensor as one
// storage buffer range of at most maxStorageBufferRange bytes (128 MiB on lavapipe, 2-4 GiB on
// GPUs), which a 7B model's token embedding or output head can exceed. The executor plans such a
// graph as this rewrite of it, where every constant above `limit` that is read as
//
//   the weight of matmul(x, w[N, K] (, bias)):  y = concat(matmul(x, w[rows_0]), matmul(x, w[rows_1]), ...)
//   the table of get_rows(table[V, D], ids):     y = get_rows(table[rows_0], ids) + get_rows(table[rows_1], ids) + ...
//
// is replaced by row ranges of itself (constants over the same host bytes: no copy; the uploads
// key by address and size). The get_rows parts carry row_base/table_rows, so an id reads its row
// in one part and 0 in the others; the sum is that row. Each part node is named
// "<node>.rows<first>" and the node that rebuilds the result keeps the original node's name and
// output. Everything else is copied unchanged; a constant read any other way stays whole (the
// executor then reports it as too large).
#pragma once

#include <cstdint>

#include "graph/graph.hpp"

namespace facet {

// True when some constant above `limit` bytes is read by a matmul or get_rows that split_rows can
// take apart.
bool needs_split(const Graph& graph, uint64_t limit);

// The rewrite described above.
Graph split_rows(const Graph& graph, uint64_t limit);

}  // namespace facet
