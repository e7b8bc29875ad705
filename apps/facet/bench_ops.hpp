// The op benchmark behind `facet bench ops`: one single-op graph per case, GPU time from
// timestamps, median over repetitions, with the FLOP and byte counts of each case.
#pragma once

#include <functional>
#include <initializer_list>
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
// Stable Diffusion 1.5 UNet/VAE shapes (bench_ops_sd.cpp), part of op_cases().
std::vector<OpCase> sd_op_cases();

// Case builders shared by the case lists.
HostTensor random_tensor(const TensorDesc& d, uint32_t seed);  // uniform in [-1, 1]
std::string dims(std::initializer_list<int64_t> d);            // "[a,b,c]"
// y[M,N] = x[M,K] W[N,K]^T with W a constant of dtype wt.
OpCase matmul(const std::string& name, int64_t M, int64_t K, int64_t N, DType wt);
// attention of q [tq, heads, d] over k, v [tk, heads, d], f32.
OpCase attention(const std::string& name, int64_t tq, int64_t tk, int64_t heads, int64_t d, bool causal);

}  // namespace facet::bench
