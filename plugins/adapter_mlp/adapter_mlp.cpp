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
#include "../common/mlp_projector.hpp"

namespace {

using namespace facet::sdk;
using facet::plugins::HfConfig;
using facet::plugins::MlpProjector;

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

  explicit Mlp(const StageConfig& cfg) : w_(cfg.weights()) {
    if (!w_.present()) throw Error("adapter_mlp needs weights (a safetensors file or a model folder)");
    std::string prefix = cfg.get_string("prefix"), act = cfg.get_string("act");
    if (prefix.empty()) {
      prefix = MlpProjector::find_prefix(w_, {"multi_modal_projector.", "model.mm_projector.", "mm_projector."});
      if (prefix.empty())
        throw Error("no projector found: neither 'multi_modal_projector.linear_1.weight' nor '[model.]mm_projector.0.weight' "
                    "exists; set param prefix");
    }
    if (act.empty()) {
      std::string text;
      act = w_.file("config.json", &text) ? HfConfig::load(w_).get_string("projector_hidden_act", "gelu") : "gelu";
    }
    mlp_ = MlpProjector(w_, prefix, cfg.get_int("depth"), act);
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    mlp_.check_input(in[0], "input (the encoder's)");
    return {Desc(FACET_DTYPE_F32, {in[0].dims[0], mlp_.out_features()})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override { return {mlp_.build(g, in[0])}; }

 private:
  Weights w_;
  MlpProjector mlp_;
};

}  // namespace

FACET_PLUGIN(adapter_mlp, "0.1.0", facet::sdk::component<Mlp>())
