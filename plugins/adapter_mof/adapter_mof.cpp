// adapter_mof: the two Mixtures of Features of "Eyes Wide Shut?" (Tong et al., arXiv 2401.06209),
// mixing CLIP and DINOv2 patch tokens of the same image (DINOv2 fed the CLIP-preprocessed image,
// its tokens taken before the final norm, so both give the same grid of tokens):
//   additive:    y = MLP(alpha * dino + (1 - alpha) * clip)                      // f32 [N, D]
//   interleaved: c = MLP_clip(clip), d = MLP_dino(dino); y = c0, d0, c1, d1, ...  // f32 [2N, D]
// The projectors are LLaVA MLPs (common/mlp_projector.hpp); the released I-MoF checkpoints keep
// them as model.mm_projector.* and model.dino_mm_projector.*.
#include <facet/nn.hpp>
#include <facet/plugin.hpp>

#include <string>

#include "../common/mlp_projector.hpp"

namespace {

using namespace facet::sdk;
using facet::plugins::MlpProjector;

const Ports kInputs = {{"clip", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [N, clip width] CLIP patch tokens"},
                       {"dino", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [N, dino width] DINOv2 patch tokens"}};

void check_tokens(const std::vector<Desc>& in) {
  if (in[0].dims[0] != in[1].dims[0])
    throw Error("CLIP gives " + std::to_string(in[0].dims[0]) + " tokens but DINOv2 gives " + std::to_string(in[1].dims[0]) +
                "; a mixture needs the same token grid (feed DINOv2 the CLIP-preprocessed image and match the patch grids)");
}

class Additive : public Component {
 public:
  static constexpr const char* name = "additive";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc = "Additive-MoF: MLP(alpha * dino + (1 - alpha) * clip), [N, D] -> [N, out]";
  static inline const Ports inputs = kInputs;
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [N, language width]"}};
  static inline const Params params = {
      {"alpha", FACET_PARAM_FLOAT, 0, "0.5", "weight of the DINOv2 features, in [0, 1]"},
      {"prefix", FACET_PARAM_STRING, 0, "model.mm_projector.", "the shared projector's tensor prefix"},
      {"depth", FACET_PARAM_INT, 0, "0", "linear layers of the projector; 0: every layer found"},
  };

  explicit Additive(const StageConfig& cfg) : w_(cfg.weights()), alpha_(cfg.get_float("alpha")) {
    if (!(alpha_ >= 0.0 && alpha_ <= 1.0)) throw Error("param alpha must be in [0, 1]");
    mlp_ = MlpProjector(w_, cfg.get_string("prefix"), cfg.get_int("depth"), "gelu");
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    check_tokens(in);
    if (in[0].dims[1] != in[1].dims[1])
      throw Error("Additive-MoF adds CLIP (width " + std::to_string(in[0].dims[1]) + ") and DINOv2 (width " +
                  std::to_string(in[1].dims[1]) + ") features, which must have the same width");
    mlp_.check_input(in[0], "the mixed features'");
    return {Desc(FACET_DTYPE_F32, {in[0].dims[0], mlp_.out_features()})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override {
    const int64_t d = in[0].desc().dims[1];
    const Desc row(FACET_DTYPE_F32, {d});  // broadcast over the tokens
    Tensor a = g.constant("alpha", row, std::vector<float>(static_cast<size_t>(d), static_cast<float>(alpha_)));
    Tensor b = g.constant("one_minus_alpha", row, std::vector<float>(static_cast<size_t>(d), static_cast<float>(1.0 - alpha_)));
    Tensor mixed = g.op("add", "mix", {g.op("mul", "mix.dino", {in[1], a}), g.op("mul", "mix.clip", {in[0], b})});  // f32 [N, D]
    return {mlp_.build(g, mixed)};
  }

 private:
  Weights w_;
  double alpha_ = 0.5;
  MlpProjector mlp_;
};

class Interleaved : public Component {
 public:
  static constexpr const char* name = "interleaved";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc =
      "Interleaved-MoF: each encoder through its own MLP, tokens interleaved CLIP, DINO, CLIP, ...: [N, *] x 2 -> [2N, out]";
  static inline const Ports inputs = kInputs;
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [2N, language width]"}};
  static inline const Params params = {
      {"clip_prefix", FACET_PARAM_STRING, 0, "model.mm_projector.", "the CLIP projector's tensor prefix"},
      {"dino_prefix", FACET_PARAM_STRING, 0, "model.dino_mm_projector.", "the DINOv2 projector's tensor prefix"},
      {"depth", FACET_PARAM_INT, 0, "0", "linear layers of each projector; 0: every layer found"},
  };

  explicit Interleaved(const StageConfig& cfg) : w_(cfg.weights()) {
    clip_ = MlpProjector(w_, cfg.get_string("clip_prefix"), cfg.get_int("depth"), "gelu");
    dino_ = MlpProjector(w_, cfg.get_string("dino_prefix"), cfg.get_int("depth"), "gelu");
    if (clip_.out_features() != dino_.out_features())
      throw Error("the CLIP and DINOv2 projectors give different widths (" + std::to_string(clip_.out_features()) + ", " +
                  std::to_string(dino_.out_features()) + ")");
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    check_tokens(in);
    clip_.check_input(in[0], "the CLIP features'");
    dino_.check_input(in[1], "the DINOv2 features'");
    return {Desc(FACET_DTYPE_F32, {2 * in[0].dims[0], clip_.out_features()})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override {
    const int64_t n = in[0].desc().dims[0], d = clip_.out_features();
    Tensor c = g.reshape(clip_.build(g, in[0]), Desc(FACET_DTYPE_F32, {n, 1, d}));  // f32 [N, 1, D]
    Tensor e = g.reshape(dino_.build(g, in[1]), Desc(FACET_DTYPE_F32, {n, 1, d}));  // f32 [N, 1, D]
    Tensor both = g.op("concat", "interleave", {c, e}, {attr("dim", int64_t{1})});   // f32 [N, 2, D]
    return {g.reshape(both, Desc(FACET_DTYPE_F32, {2 * n, d}))};
  }

 private:
  Weights w_;
  MlpProjector clip_, dino_;
};

}  // namespace

FACET_PLUGIN(adapter_mof, "0.1.0", facet::sdk::component<Additive>(), facet::sdk::component<Interleaved>())
