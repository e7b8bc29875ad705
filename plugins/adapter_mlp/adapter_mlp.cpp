// adapter_mlp: LLaVA-1.5's projector `mlp2x_gelu` and its deeper `mlpNx_gelu` forms:
//   y = L_N(act(... act(L_1(x)))), with L_i(x) = x W_i^T + b_i and act = GELU (erf).
// Tensor names, found under `prefix`:
//   llava-hf (LlavaForConditionalGeneration): multi_modal_projector.linear_1, linear_2
//   LLaVA repository (nn.Sequential):          model.mm_projector.0, .2, .4, ...
// With an empty prefix the folder's layout is recognised (the llava-hf name first).
#include <facet/nn.hpp>
#include <facet/plugin.hpp>

#include <string>
#include <vector>

#include "../common/hf_config.hpp"

namespace {

using namespace facet::sdk;
using facet::plugins::HfConfig;

class Mlp : public Component {
 public:
  static constexpr const char* name = "mlp";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc = "LLaVA MLP projector (mlpNx_gelu): tokens [n, in] -> [n, out]";
  static inline const Ports inputs = {{"x", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [n_tokens, vision width]"}};
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [n_tokens, language width]"}};
  static inline const Params params = {
      {"prefix", FACET_PARAM_STRING, 0, "",
       "tensor name prefix ('multi_modal_projector.', 'model.mm_projector.', ...); empty: found from the folder"},
      {"depth", FACET_PARAM_INT, 0, "0", "number of linear layers (mlpNx_gelu: N); 0: every layer found"},
      {"act", FACET_PARAM_STRING, 0, "", "activation between layers; empty: config.json projector_hidden_act, else gelu"},
  };

  explicit Mlp(const StageConfig& cfg) : w_(cfg.weights()), prefix_(cfg.get_string("prefix")), act_(cfg.get_string("act")) {
    if (!w_.present()) throw Error("adapter_mlp needs weights (a safetensors file or a model folder)");
    if (prefix_.empty()) {
      for (const char* p : {"multi_modal_projector.", "model.mm_projector.", "mm_projector."})
        if (w_.has(std::string(p) + "linear_1.weight") || w_.has(std::string(p) + "0.weight")) {
          prefix_ = p;
          break;
        }
      if (prefix_.empty())
        throw Error("no projector found: neither 'multi_modal_projector.linear_1.weight' nor '[model.]mm_projector.0.weight' "
                    "exists; set param prefix");
    }
    if (act_.empty()) {
      std::string text;
      act_ = "gelu";
      if (w_.file("config.json", &text)) act_ = HfConfig::load(w_).get_string("projector_hidden_act", "gelu");
    }
    if (!nn::known_activation(act_)) throw Error("activation '" + act_ + "' is not supported");
    const bool hf = w_.has(prefix_ + "linear_1.weight");
    const int64_t depth = cfg.get_int("depth");
    if (depth < 0) throw Error("param depth must be 0 (every layer found) or positive");
    for (int64_t i = 0; depth == 0 || i < depth; ++i) {
      const std::string name = prefix_ + (hf ? "linear_" + std::to_string(i + 1) : std::to_string(2 * i));
      if (!w_.has(name + ".weight")) {
        if (depth == 0 && i > 0) break;
        w_.desc(name + ".weight");  // throws naming the missing tensor
      }
      Desc d = w_.desc(name + ".weight");
      if (d.rank != 2) throw Error("tensor '" + name + ".weight' must be 2-D [out, in]");
      if (!layers_.empty() && d.dims[1] != out_)
        throw Error("tensor '" + name + ".weight' takes " + std::to_string(d.dims[1]) + " features but the layer before gives " +
                    std::to_string(out_));
      if (w_.has(name + ".bias")) {
        Desc b = w_.desc(name + ".bias");
        if (b.rank != 1 || b.dims[0] != d.dims[0]) throw Error("tensor '" + name + ".bias' must be [" + std::to_string(d.dims[0]) + "]");
      }
      if (layers_.empty()) in_ = d.dims[1];
      out_ = d.dims[0];
      layers_.push_back(name);
    }
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    if (in[0].dims[1] != in_)
      throw Error("input width " + std::to_string(in[0].dims[1]) + " does not match '" + layers_[0] + ".weight' in_features " +
                  std::to_string(in_) + " (the encoder's width)");
    return {Desc(FACET_DTYPE_F32, {in[0].dims[0], out_})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override {
    Tensor x = in[0];  // f32 [n, in]
    for (size_t i = 0; i < layers_.size(); ++i) {
      if (i > 0) x = nn::activation(g, act_, x, layers_[i - 1] + ".act");
      x = nn::linear(g, w_, layers_[i], x);  // f32 [n, out_i]
    }
    return {x};
  }

 private:
  Weights w_;
  std::string prefix_, act_;
  std::vector<std::string> layers_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace

FACET_PLUGIN(adapter_mlp, "0.1.0", facet::sdk::component<Mlp>())
