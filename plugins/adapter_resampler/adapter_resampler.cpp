// adapter_resampler: the Perceiver resampler of Flamingo, as IDEFICS implements it
// (IdeficsPerceiverResampler): L learned latents attend to the image features and to themselves,
// so any number of image tokens becomes L tokens.
//   x = latents                                                   // f32 [L, D]
//   per block i:
//     c = LN_context(features); h = LN_latents(x)                 // [N, D], [L, D]
//     q = h Wq^T; k = [c; h] Wk^T; v = [c; h] Wv^T                // [L, H*Dh], [N+L, H*Dh]
//     (optional q/k LayerNorms over Dh)
//     x += softmax(q k^T / sqrt(Dh)) v Wo^T                        // per head, no mask
//     x += relu(LN(x) Wfc^T) Wproj^T
//   y = LN(x)
// Tensors (no biases on the projections): <prefix>latents, <prefix>blocks.i.0.{context_layer_norm,
// latents_layer_norm, q_proj, k_proj, v_proj, output_proj, [q_layer_norm, k_layer_norm]},
// <prefix>blocks.i.1.{ln, fc, c_proj}, <prefix>layer_norm.
#include <facet/nn.hpp>
#include <facet/plugin.hpp>

#include <cmath>
#include <string>

#include "../common/hf_config.hpp"

namespace {

using namespace facet::sdk;
using facet::plugins::HfConfig;

class Resampler : public Component {
 public:
  static constexpr const char* name = "resampler";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc = "Perceiver resampler: image tokens [N, D] -> L latents [L, D]";
  static inline const Ports inputs = {{"x", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [N, D] image features"}};
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [L, D] resampled tokens"}};
  static inline const Params params = {
      {"prefix", FACET_PARAM_STRING, 0, "",
       "tensor prefix; empty: 'model.perceiver_resampler.' or 'perceiver_resampler.', whichever exists"},
      {"heads", FACET_PARAM_INT, 0, "0", "attention heads; 0: config.json perceiver_config.resampler_n_heads"},
      {"eps", FACET_PARAM_FLOAT, 0, "1e-5", "LayerNorm epsilon"},
  };

  explicit Resampler(const StageConfig& cfg) : w_(cfg.weights()), prefix_(cfg.get_string("prefix")), eps_(cfg.get_float("eps")) {
    if (!w_.present()) throw Error("adapter_resampler needs weights (a safetensors file or a model folder)");
    if (prefix_.empty()) {
      for (const char* p : {"model.perceiver_resampler.", "perceiver_resampler."})
        if (w_.has(std::string(p) + "latents")) {
          prefix_ = p;
          break;
        }
      if (prefix_.empty()) throw Error("no resampler found: neither 'model.perceiver_resampler.latents' nor 'perceiver_resampler.latents' exists");
    }
    heads_ = cfg.get_int("heads");
    std::string text;
    if (heads_ == 0 && w_.file("config.json", &text))
      heads_ = HfConfig::load(w_).sub("perceiver_config").get_int("resampler_n_heads", 0, 0);
    if (heads_ <= 0) throw Error("param heads is not set and config.json has no perceiver_config.resampler_n_heads");
    Desc lat = w_.desc(prefix_ + "latents");
    if (lat.rank != 2) throw Error("tensor '" + prefix_ + "latents' must be [n_latents, dim]");
    latents_ = lat.dims[0];
    dim_ = lat.dims[1];
    while (w_.has(block(depth_) + "0.q_proj.weight")) ++depth_;
    if (depth_ == 0) throw Error("missing weight tensor '" + block(0) + "0.q_proj.weight'");
    Desc q = w_.desc(block(0) + "0.q_proj.weight");
    if (q.rank != 2 || q.dims[1] != dim_ || q.dims[0] % heads_ != 0)
      throw Error("tensor '" + block(0) + "0.q_proj.weight' must be [heads * head_dim, " + std::to_string(dim_) + "] with " +
                  std::to_string(heads_) + " heads");
    head_dim_ = q.dims[0] / heads_;
    qk_norms_ = w_.has(block(0) + "0.q_layer_norm.weight");
    for (int64_t i = 0; i < depth_; ++i)
      for (const char* t : {"0.k_proj.weight", "0.v_proj.weight", "0.output_proj.weight", "1.fc.weight", "1.c_proj.weight"})
        w_.desc(block(i) + t);  // throws naming a missing tensor
    w_.desc(prefix_ + "layer_norm.weight");
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    if (in[0].dims[1] != dim_)
      throw Error("image features of width " + std::to_string(in[0].dims[1]) + " do not match the resampler's " + std::to_string(dim_));
    return {Desc(FACET_DTYPE_F32, {latents_, dim_})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override {
    const int64_t n = in[0].desc().dims[0], hd = heads_ * head_dim_;
    Tensor x = nn::param(g, w_, prefix_ + "latents");  // f32 [L, D]
    for (int64_t i = 0; i < depth_; ++i) {
      const std::string a = block(i) + "0.", f = block(i) + "1.";
      Tensor c = nn::layer_norm(g, w_, a + "context_layer_norm", in[0], eps_);  // f32 [N, D]
      Tensor h = nn::layer_norm(g, w_, a + "latents_layer_norm", x, eps_);      // f32 [L, D]
      Tensor ch = g.op("concat", a + "context_latents", {c, h}, {attr("dim", int64_t{0})});  // f32 [N+L, D]
      Tensor q = g.reshape(nn::linear(g, w_, a + "q_proj", h), Desc(FACET_DTYPE_F32, {latents_, heads_, head_dim_}));
      Tensor k = g.reshape(nn::linear(g, w_, a + "k_proj", ch), Desc(FACET_DTYPE_F32, {n + latents_, heads_, head_dim_}));
      Tensor v = g.reshape(nn::linear(g, w_, a + "v_proj", ch), Desc(FACET_DTYPE_F32, {n + latents_, heads_, head_dim_}));
      if (qk_norms_) {
        q = nn::layer_norm(g, w_, a + "q_layer_norm", q, eps_);
        k = nn::layer_norm(g, w_, a + "k_layer_norm", k, eps_);
      }
      Tensor o = g.op("attention", a + "attn", {q, k, v},
                      {attr("scale", 1.0 / std::sqrt(static_cast<double>(head_dim_))), attr("causal", int64_t{0})});  // [L, H, Dh]
      o = g.reshape(o, Desc(FACET_DTYPE_F32, {latents_, hd}));
      x = g.op("add", a + "residual", {x, nn::linear(g, w_, a + "output_proj", o)});
      Tensor m = g.op("relu", f + "act", {nn::linear(g, w_, f + "fc", nn::layer_norm(g, w_, f + "ln", x, eps_))});
      x = g.op("add", f + "residual", {x, nn::linear(g, w_, f + "c_proj", m)});
    }
    return {nn::layer_norm(g, w_, prefix_ + "layer_norm", x, eps_)};  // f32 [L, D]
  }

 private:
  std::string block(int64_t i) const { return prefix_ + "blocks." + std::to_string(i) + "."; }

  Weights w_;
  std::string prefix_;
  double eps_ = 1e-5;
  int64_t heads_ = 0, head_dim_ = 0, latents_ = 0, dim_ = 0, depth_ = 0;
  bool qk_norms_ = false;
};

}  // namespace

FACET_PLUGIN(adapter_resampler, "0.1.0", facet::sdk::component<Resampler>())
