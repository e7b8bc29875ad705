// DINOv2, as Hugging Face's Dinov2Model / Dinov2WithRegistersModel compute it:
//   patches = conv(pixels, projection, stride = patch) + bias          // f32 [gh*gw, D]
//   x = concat(cls_token, patches) + positions(gh, gw)                 // f32 [1 + gh*gw, D]
//   positions: the trained sqrt(N) x sqrt(N) grid, bicubically resized to gh x gw unless
//   gh*gw == N and H == W (antialiased for the with-registers model, as transformers does)
//   with registers: x = concat(x[0], register_tokens, x[1:])
//   per layer: x += layer_scale1 * attn(norm1(x)); x += layer_scale2 * mlp(norm2(x)); hidden[i+1] = x
//   mlp: fc2(act(fc1)), or SwiGLU: weights_out(silu(a) * b) with [a, b] = weights_in(x)
//   last_hidden_state = layernorm(x); pooled = embeds = last_hidden_state[0]
#include "dinov2.hpp"

#include <facet/nn.hpp>

#include <cmath>

#include "../common/hf_config.hpp"

namespace facet::plugins {

using sdk::attr;
using sdk::Desc;
using sdk::Error;
using sdk::Tensor;
namespace nn = sdk::nn;

Dinov2::Dinov2(const sdk::StageConfig& cfg) : w_(cfg.weights()) {
  if (!w_.present()) throw Error("encoder_dinov2 needs weights: a Hugging Face DINOv2 model folder");
  const HfConfig c = HfConfig::load(w_);
  const std::string type = c.get_string("model_type", "");
  if (type != "dinov2" && type != "dinov2_with_registers")
    throw Error("config.json: model_type '" + type + "' is not dinov2 or dinov2_with_registers");
  // Dinov2Config / Dinov2WithRegistersConfig defaults.
  dim_ = c.get_int("hidden_size", 768);
  heads_ = c.get_int("num_attention_heads", 12);
  layers_ = c.get_int("num_hidden_layers", 12);
  patch_ = c.get_int("patch_size", 14);
  channels_ = c.get_int("num_channels", 3, 1, 3);
  eps_ = c.get_positive("layer_norm_eps", 1e-6);
  act_ = c.get_string("hidden_act", "gelu");
  swiglu_ = c.get_bool("use_swiglu_ffn", false);
  registers_ = type == "dinov2_with_registers" ? c.get_int("num_register_tokens", 4, 0, 1024) : 0;
  antialias_ = type == "dinov2_with_registers";
  if (!nn::known_activation(act_)) c.fail("hidden_act", "'" + act_ + "' is not supported");
  if (dim_ % heads_ != 0) c.fail("num_attention_heads", "must divide hidden_size");

  prefix_ = cfg.get_string("prefix");
  if (prefix_.empty() && !w_.has("embeddings.cls_token")) {
    for (const char* candidate : {"dinov2.", "dinov2_with_registers.", "model."})
      if (w_.has(std::string(candidate) + "embeddings.cls_token")) prefix_ = candidate;
    if (prefix_.empty()) throw Error("no DINOv2 model in the weights (looked for 'embeddings.cls_token')");
  }
  const Desc pos = w_.desc(p("embeddings.position_embeddings"));
  if (pos.rank != 3 || pos.dims[2] != dim_) throw Error("tensor '" + p("embeddings.position_embeddings") + "' must be [1, N + 1, hidden_size]");
  trained_grid_ = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(pos.dims[1] - 1))));
  if (trained_grid_ * trained_grid_ != pos.dims[1] - 1)
    throw Error("tensor '" + p("embeddings.position_embeddings") + "' does not hold a square grid of positions");
  const Desc proj = w_.desc(p("embeddings.patch_embeddings.projection.weight"));
  if (proj.rank != 4 || proj.dims[0] != dim_ || proj.dims[1] != channels_ || proj.dims[2] != patch_ || proj.dims[3] != patch_)
    throw Error("tensor '" + p("embeddings.patch_embeddings.projection.weight") + "' must be [hidden_size, num_channels, patch, patch]");
  if (registers_ && w_.desc(p("embeddings.register_tokens")).dims[1] != registers_)
    throw Error("tensor '" + p("embeddings.register_tokens") + "' must hold num_register_tokens = " + std::to_string(registers_) + " rows");
  for (int64_t i = 0; i < layers_; ++i) {
    const std::string l = p("encoder.layer." + std::to_string(i) + ".");
    w_.desc(l + "attention.attention.query.weight");
    w_.desc(l + (swiglu_ ? "mlp.weights_in.weight" : "mlp.fc1.weight"));
  }
  out_ = VisionOutput::parse(cfg.get_string("output"), cfg.get_string("tokens"), layers_);
}

std::vector<Desc> Dinov2::infer(const std::vector<Desc>& in) {
  const Desc& px = in[0];
  if (px.dims[0] != channels_) throw Error("pixels have " + std::to_string(px.dims[0]) + " channels, the model " + std::to_string(channels_));
  if (px.dims[1] < patch_ || px.dims[2] < patch_)
    throw Error("pixels are " + std::to_string(px.dims[1]) + "x" + std::to_string(px.dims[2]) + ", smaller than one " +
                std::to_string(patch_) + "-pixel patch");
  const int64_t patches = (px.dims[1] / patch_) * (px.dims[2] / patch_);
  if (!out_.per_token()) return {Desc(FACET_DTYPE_F32, {1, dim_})};
  return {Desc(FACET_DTYPE_F32, {out_.rows(1 + registers_, patches), dim_})};
}

Tensor Dinov2::positions(sdk::Graph& g, int64_t gh, int64_t gw, bool interpolate) {
  const int64_t n = trained_grid_ * trained_grid_;
  Tensor table = g.reshape(nn::param(g, w_, p("embeddings.position_embeddings")), Desc(FACET_DTYPE_F32, {n + 1, dim_}));
  if (!interpolate) return table;
  auto rows = [&](const char* node, int64_t start, int64_t end) {
    return g.op("slice", node, {table}, {attr("dim", int64_t{0}), attr("start", start), attr("end", end)});
  };
  Tensor grid = g.reshape(rows("embeddings.positions.grid", 1, n + 1), Desc(FACET_DTYPE_F32, {trained_grid_, trained_grid_, dim_}));
  grid = g.op("resize_bicubic", "embeddings.positions.resize", {grid},
              {attr("height", gh), attr("width", gw), attr("antialias", int64_t{antialias_ ? 1 : 0})});  // f32 [gh, gw, D]
  grid = g.reshape(grid, Desc(FACET_DTYPE_F32, {gh * gw, dim_}));
  return g.op("concat", "embeddings.positions", {rows("embeddings.positions.cls", 0, 1), grid}, {attr("dim", int64_t{0})});
}

std::vector<Tensor> Dinov2::build(sdk::Graph& g, const std::vector<Tensor>& in) {
  const Desc px = in[0].desc();
  const int64_t gh = px.dims[1] / patch_, gw = px.dims[2] / patch_;
  Tensor cols = g.op("im2col", "embeddings.patches", {in[0]},
                     {attr("kh", patch_), attr("kw", patch_), attr("sh", patch_), attr("sw", patch_)});
  Tensor wpatch = g.weight(w_, p("embeddings.patch_embeddings.projection.weight"));
  wpatch = g.reshape(wpatch, Desc(wpatch.desc().dtype, {dim_, channels_ * patch_ * patch_}));
  Tensor x = g.op("matmul", "embeddings.patch_embeddings",
                  {cols, wpatch, nn::param(g, w_, p("embeddings.patch_embeddings.projection.bias"))});  // f32 [gh*gw, D]
  Tensor cls = g.reshape(nn::param(g, w_, p("embeddings.cls_token")), Desc(FACET_DTYPE_F32, {1, dim_}));
  x = g.op("concat", "embeddings.tokens", {cls, x}, {attr("dim", int64_t{0})});                // f32 [1 + gh*gw, D]
  const bool interpolate = !(gh * gw == trained_grid_ * trained_grid_ && px.dims[1] == px.dims[2]);
  x = g.op("add", "embeddings.add_positions", {x, positions(g, gh, gw, interpolate)});
  if (registers_) {
    const int64_t t = 1 + gh * gw;
    Tensor head = g.op("slice", "embeddings.cls", {x}, {attr("dim", int64_t{0}), attr("start", int64_t{0}), attr("end", int64_t{1})});
    Tensor tail = g.op("slice", "embeddings.patch", {x}, {attr("dim", int64_t{0}), attr("start", int64_t{1}), attr("end", t)});
    Tensor reg = g.reshape(nn::param(g, w_, p("embeddings.register_tokens")), Desc(FACET_DTYPE_F32, {registers_, dim_}));
    x = g.op("concat", "embeddings.with_registers", {g.op("concat", "embeddings.cls_registers", {head, reg}, {attr("dim", int64_t{0})}), tail},
             {attr("dim", int64_t{0})});                                                     // f32 [1 + R + gh*gw, D]
  }
  const int64_t run = out_.kind == VisionOutput::Kind::Hidden ? out_.hidden : layers_;
  for (int64_t i = 0; i < run; ++i) {
    const std::string l = p("encoder.layer." + std::to_string(i) + ".");
    Tensor h = nn::layer_norm(g, w_, l + "norm1", x, eps_);
    h = nn::self_attention(g, w_, h, heads_, l + "attention.attention.query", l + "attention.attention.key",
                           l + "attention.attention.value", l + "attention.output.dense", l + "attention");
    h = g.op("mul", l + "layer_scale1", {h, nn::param(g, w_, l + "layer_scale1.lambda1")});
    x = g.op("add", l + "residual1", {x, h});
    h = nn::layer_norm(g, w_, l + "norm2", x, eps_);
    if (swiglu_) {
      Tensor both = nn::linear(g, w_, l + "mlp.weights_in", h);                                // f32 [T, 2F]
      const int64_t f = both.desc().dims[1] / 2;
      Tensor a = g.op("slice", l + "mlp.gate", {both}, {attr("dim", int64_t{1}), attr("start", int64_t{0}), attr("end", f)});
      Tensor b = g.op("slice", l + "mlp.up", {both}, {attr("dim", int64_t{1}), attr("start", f), attr("end", 2 * f)});
      h = nn::linear(g, w_, l + "mlp.weights_out", g.op("swiglu", l + "mlp.swiglu", {a, b}));
    } else {
      h = nn::linear(g, w_, l + "mlp.fc2", nn::activation(g, act_, nn::linear(g, w_, l + "mlp.fc1", h), l + "mlp.act"));
    }
    h = g.op("mul", l + "layer_scale2", {h, nn::param(g, w_, l + "layer_scale2.lambda1")});
    x = g.op("add", l + "residual2", {x, h});                                                  // f32 [T, D]
  }
  if (out_.kind == VisionOutput::Kind::Hidden) return {out_.select(g, x, 1 + registers_, "select")};
  x = nn::layer_norm(g, w_, p("layernorm"), x, eps_);
  if (out_.per_token()) return {out_.select(g, x, 1 + registers_, "select")};
  return {g.op("slice", "pooled", {x}, {attr("dim", int64_t{0}), attr("start", int64_t{0}), attr("end", int64_t{1})})};
}

}  // namespace facet::plugins
