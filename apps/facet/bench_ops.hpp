// The op benchmark behind `facet bench ops`: one single-op graph per case, GPU time from
// timestamps, median over repetitions, with the FLOP and byte counts of each case.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "graph/graph.hpp"
#include "graph/host_tensor.hpp"

namespace facet::bench {

struct OpCase {
  std::string name;   // "llama110m.ffn_up.prefill"
  std::string op;
  std::string shape;  // human-readable shapes
  double flops = 0;   // per run
  double bytes = 0;   // read + written per run (weights counted once)
  // Adds inputs/constants and the op node to g; fills host inputs.
  std::function<void(Graph& g, std::map<std::string, HostTensor>& inputs)> build;
};

struct OpResult {
  OpCase c;
  double median_ms = 0, min_ms = 0, max_ms = 0;
};

std::vector<OpCase> op_cases();

}  // namespace facet::bench
