// Building blocks for model plugins, over facet::sdk::Graph and the core ops: parameters converted
// to f32 where an op needs them, linear layers, LayerNorm, multi-head attention, MLPs. Node names
// are the weight prefixes ("encoder.layers.3.mlp.fc1"), so every node carries its layer index.
#pragma once

#include <facet/plugin.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace facet::sdk::nn {

// Dims of a tensor desc as a Desc with another shape.
inline Desc shape(facet_dtype dtype, std::initializer_list<int64_t> dims) { return Desc(dtype, dims); }

// t in f32 (a convert node when it is stored as f16 or bf16).
inline Tensor as_f32(Graph& g, const Tensor& t, const std::string& node) {
  if (t.desc().dtype == FACET_DTYPE_F32) return t;
  return g.op("convert", node + ".f32", {t}, {attr("dtype", int64_t{FACET_DTYPE_F32})});
}

// A weight tensor in f32.
inline Tensor param(Graph& g, const Weights& w, const std::string& name) { return as_f32(g, g.weight(w, name), name); }

// y = x W^T (+ b) with '<prefix>.weight' [out, in] in any matmul weight type and an optional
// '<prefix>.bias' [out].
inline Tensor linear(Graph& g, const Weights& w, const std::string& prefix, const Tensor& x) {
  Tensor weight = g.weight(w, prefix + ".weight");
  if (!w.has(prefix + ".bias")) return g.op("matmul", prefix, {x, weight});
  return g.op("matmul", prefix, {x, weight, param(g, w, prefix + ".bias")});
}

// LayerNorm over the last dim with '<prefix>.weight' and '<prefix>.bias'.
inline Tensor layer_norm(Graph& g, const Weights& w, const std::string& prefix, const Tensor& x, double eps) {
  return g.op("layer_norm", prefix, {x, param(g, w, prefix + ".weight"), param(g, w, prefix + ".bias")},
              {attr("eps", eps)});
}

// x * s over the last dim, s a number: a multiply by a constant row (broadcast over the leading dims).
inline Tensor scale(Graph& g, const Tensor& x, double s, const std::string& node) {
  const Desc d = x.desc();
  const int64_t n = d.dims[d.rank - 1];
  Tensor row = g.constant(node + ".value", shape(FACET_DTYPE_F32, {n}), std::vector<float>(static_cast<size_t>(n), static_cast<float>(s)));
  return g.op("mul", node, {x, row});
}

// x / max(||x||_2, 1e-12) over the last dim (torch.nn.functional.normalize): rms_norm with a
// constant weight 1/sqrt(D), x / sqrt(mean(x^2) + 1e-24 / D) / sqrt(D).
inline Tensor l2_normalize(Graph& g, const Tensor& x, const std::string& node) {
  const Desc d = x.desc();
  const int64_t n = d.dims[d.rank - 1];
  const double inv = 1.0 / std::sqrt(static_cast<double>(n));
  Tensor w = g.constant(node + ".inv_sqrt_dim", shape(FACET_DTYPE_F32, {n}), std::vector<float>(static_cast<size_t>(n), static_cast<float>(inv)));
  return g.op("rms_norm", node, {x, w}, {attr("eps", 1e-24 / static_cast<double>(n))});
}

// Activation by its Hugging Face name (hidden_act); throws naming it when unknown.
inline Tensor activation(Graph& g, const std::string& act, const Tensor& x, const std::string& node) {
  if (act == "quick_gelu") return g.op("quick_gelu", node, {x});
  if (act == "gelu") return g.op("gelu", node, {x});
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast") return g.op("gelu_tanh", node, {x});
  if (act == "silu" || act == "swish") return g.op("silu", node, {x});
  if (act == "relu") return g.op("relu", node, {x});
  throw Error("activation '" + act + "' is not supported (quick_gelu, gelu, gelu_new, gelu_pytorch_tanh, silu, relu)");
}

inline bool known_activation(const std::string& act) {
  for (const char* a : {"quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "silu", "swish", "relu"})
    if (act == a) return true;
  return false;
}

// Multi-head attention of already projected q [Tq, D], k, v [Tk, D] with `heads` heads of D/heads:
// softmax(q k^T / sqrt(D/heads)) v, returned as [Tq, D].
inline Tensor attention(Graph& g, const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads,
                        const std::string& node, bool causal = false) {
  const Desc qd = q.desc(), kd = k.desc();
  const int64_t d = qd.dims[1], hd = d / heads;
  Tensor q3 = g.reshape(q, shape(FACET_DTYPE_F32, {qd.dims[0], heads, hd}));
  Tensor k3 = g.reshape(k, shape(FACET_DTYPE_F32, {kd.dims[0], heads, hd}));
  Tensor v3 = g.reshape(v, shape(FACET_DTYPE_F32, {kd.dims[0], heads, hd}));
  Tensor o = g.op("attention", node, {q3, k3, v3},
                  {attr("scale", 1.0 / std::sqrt(static_cast<double>(hd))), attr("causal", int64_t{causal ? 1 : 0})});
  return g.reshape(o, shape(FACET_DTYPE_F32, {qd.dims[0], d}));
}

// Self-attention with separate q/k/v/out projections named '<prefix><q|k|v|o>'.
inline Tensor self_attention(Graph& g, const Weights& w, const Tensor& x, int64_t heads, const std::string& q,
                             const std::string& k, const std::string& v, const std::string& o,
                             const std::string& node, bool causal = false) {
  Tensor a = attention(g, linear(g, w, q, x), linear(g, w, k, x), linear(g, w, v, x), heads, node, causal);
  return linear(g, w, o, a);
}

}  // namespace facet::sdk::nn
