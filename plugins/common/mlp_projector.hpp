// A LLaVA-style MLP projector inside a plugin: linear layers with an activation between them,
// found by name in the stage's weights (adapter_mlp, adapter_mof).
//   llava-hf:             <prefix>linear_1, linear_2, ...
//   LLaVA repository:     <prefix>0, 2, 4, ... (nn.Sequential; the activations sit at odd indices)
#pragma once

#include <facet/nn.hpp>
#include <facet/plugin.hpp>

#include <string>
#include <vector>

namespace facet::plugins {

class MlpProjector {
 public:
  MlpProjector() = default;
  // `depth` 0: every layer found (at least one). Throws naming the tensor that is missing or
  // whose shape does not chain.
  MlpProjector(const sdk::Weights& w, const std::string& prefix, int64_t depth, const std::string& act)
      : w_(w), act_(act) {
    if (!sdk::nn::known_activation(act_)) throw sdk::Error("activation '" + act_ + "' is not supported");
    if (depth < 0) throw sdk::Error("param depth must be 0 (every layer found) or positive");
    const bool hf = w_.has(prefix + "linear_1.weight");
    for (int64_t i = 0; depth == 0 || i < depth; ++i) {
      const std::string name = prefix + (hf ? "linear_" + std::to_string(i + 1) : std::to_string(2 * i));
      if (!w_.has(name + ".weight") && depth == 0 && i > 0) break;
      sdk::Desc d = w_.desc(name + ".weight");  // throws naming a missing tensor
      if (d.rank != 2) throw sdk::Error("tensor '" + name + ".weight' must be 2-D [out, in]");
      if (!layers_.empty() && d.dims[1] != out_)
        throw sdk::Error("tensor '" + name + ".weight' takes " + std::to_string(d.dims[1]) +
                         " features but the layer before gives " + std::to_string(out_));
      if (w_.has(name + ".bias")) {
        sdk::Desc b = w_.desc(name + ".bias");
        if (b.rank != 1 || b.dims[0] != d.dims[0])
          throw sdk::Error("tensor '" + name + ".bias' must be [" + std::to_string(d.dims[0]) + "]");
      }
      if (layers_.empty()) in_ = d.dims[1];
      out_ = d.dims[0];
      layers_.push_back(name);
    }
  }

  // The prefix under which a projector's first layer exists, of `candidates`; "" when none.
  static std::string find_prefix(const sdk::Weights& w, std::initializer_list<const char*> candidates) {
    for (const char* p : candidates)
      if (w.has(std::string(p) + "linear_1.weight") || w.has(std::string(p) + "0.weight")) return p;
    return "";
  }

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  const std::string& first_layer() const { return layers_.at(0); }

  // Throws when `d` (f32 [n, width]) does not fit the first layer; `what` names the input.
  void check_input(const sdk::Desc& d, const std::string& what) const {
    if (d.dims[1] != in_)
      throw sdk::Error(what + " width " + std::to_string(d.dims[1]) + " does not match '" + layers_[0] + ".weight' in_features " +
                       std::to_string(in_));
  }

  sdk::Tensor build(sdk::Graph& g, sdk::Tensor x) const {  // f32 [n, in] -> f32 [n, out]
    for (size_t i = 0; i < layers_.size(); ++i) {
      if (i > 0) x = sdk::nn::activation(g, act_, x, layers_[i - 1] + ".act");
      x = sdk::nn::linear(g, w_, layers_[i], x);
    }
    return x;
  }

 private:
  sdk::Weights w_;
  std::string act_;
  std::vector<std::string> layers_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace facet::plugins
