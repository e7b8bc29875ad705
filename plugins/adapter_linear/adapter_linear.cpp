// adapter_linear: y = x W^T + b, the linear vision-to-language projector (LLaVA-1's projector,
// and the building block of the MLP adapters). Built from the core matmul op only.
#include <facet/nn.hpp>
#include <facet/plugin.hpp>

namespace {

using namespace facet::sdk;

class Linear : public Component {
 public:
  static constexpr const char* name = "linear";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc = "y = x W^T + b: tokens [n, in] -> [n, out]";
  static inline const Ports inputs = {{"x", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [n_tokens, in_features]"}};
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [n_tokens, out_features]"}};
  static inline const Params params = {
      {"prefix", FACET_PARAM_STRING, 0, "", "tensor name prefix: '<prefix>weight' and optional '<prefix>bias'"},
  };

  explicit Linear(const StageConfig& cfg) : weights_(cfg.weights()), prefix_(cfg.get_string("prefix")) {
    Desc w = weights_.desc(prefix_ + "weight");  // throws naming the tensor when absent
    if (w.rank != 2) throw Error("tensor '" + prefix_ + "weight' must be 2-D [out, in]");
    out_ = w.dims[0];
    in_ = w.dims[1];
    has_bias_ = weights_.has(prefix_ + "bias");
    if (has_bias_) {
      Desc b = weights_.desc(prefix_ + "bias");
      if (b.rank != 1 || b.dims[0] != out_)
        throw Error("tensor '" + prefix_ + "bias' must be [" + std::to_string(out_) + "]");
    }
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    if (in[0].dims[1] != in_)
      throw Error("input width " + std::to_string(in[0].dims[1]) + " does not match '" + prefix_ + "weight' in_features " +
                  std::to_string(in_));
    return {Desc(FACET_DTYPE_F32, {in[0].dims[0], out_})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override {
    Tensor w = g.weight(weights_, prefix_ + "weight");  // f32|f16 [out, in]
    if (!has_bias_) return {g.op("matmul", "proj", {in[0], w})};
    Tensor b = nn::param(g, weights_, prefix_ + "bias");  // f32 [out]
    return {g.op("matmul", "proj", {in[0], w, b})};
  }

 private:
  Weights weights_;
  std::string prefix_;
  int64_t in_ = 0, out_ = 0;
  bool has_bias_ = false;
};

}  // namespace

FACET_PLUGIN(adapter_linear, "0.1.0", facet::sdk::component<Linear>())
