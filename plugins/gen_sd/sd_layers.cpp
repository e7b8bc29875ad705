#include "sd_layers.hpp"

#include <facet/nn.hpp>

namespace facet::plugins::sd {

using sdk::attr;
using sdk::Desc;
namespace nn = sdk::nn;

namespace {

constexpr double kAttentionNormEps = 1e-6;  // Transformer2DModel's and the VAE attention's GroupNorm

// A linear weight [out, in] stored as such, or as a 1x1 conv [out, in, 1, 1] (older VAE files).
Tensor matrix(Graph& g, const Weights& w, const std::string& name) {
  Tensor t = g.weight(w, name);
  const Desc d = t.desc();
  if (d.rank == 4 && d.dims[2] == 1 && d.dims[3] == 1) return g.reshape(t, Desc(d.dtype, {d.dims[0], d.dims[1]}));
  if (d.rank != 2) throw sdk::Error("tensor '" + name + "' must be [out, in] or [out, in, 1, 1]");
  return t;
}

Tensor linear2(Graph& g, const Weights& w, const std::string& p, const Tensor& x) {
  Tensor m = matrix(g, w, p + ".weight");
  if (!w.has(p + ".bias")) return g.op("matmul", p, {x, m});
  return g.op("matmul", p, {x, m, nn::param(g, w, p + ".bias")});
}

}  // namespace

Tensor conv(Graph& g, const Weights& w, const std::string& p, const Tensor& x, int64_t stride, const Tensor* bias, int64_t pad) {
  const Desc d = w.desc(p + ".weight");
  if (d.rank != 4 || d.dims[2] != d.dims[3]) throw sdk::Error("tensor '" + p + ".weight' must be [out, in, k, k]");
  const int64_t k = d.dims[2], ph = pad < 0 ? k / 2 : pad;
  Tensor weight = g.weight(w, p + ".weight");
  std::initializer_list<facet_attr> attrs = {attr("sh", stride), attr("sw", stride), attr("ph", ph), attr("pw", ph)};
  if (bias) return g.op("conv2d", p, {x, weight, *bias}, attrs);
  if (w.has(p + ".bias")) return g.op("conv2d", p, {x, weight, nn::param(g, w, p + ".bias")}, attrs);
  return g.op("conv2d", p, {x, weight}, attrs);
}

Tensor group_norm(Graph& g, const Weights& w, const std::string& p, const Tensor& x, int64_t groups, double eps, bool silu) {
  return g.op("group_norm", p, {x, nn::param(g, w, p + ".weight"), nn::param(g, w, p + ".bias")},
              {attr("groups", groups), attr("eps", eps), attr("silu", int64_t{silu ? 1 : 0})});
}

Tensor resnet(Graph& g, const Weights& w, const std::string& p, const Tensor& x, const Tensor* temb, int64_t groups, double eps) {
  Tensor h = group_norm(g, w, p + ".norm1", x, groups, eps, true);
  if (temb) {
    // The time embedding is one value per channel: folded into conv1's bias, f32 [O].
    Tensor t = nn::linear(g, w, p + ".time_emb_proj", *temb);                                   // f32 [1, O]
    t = g.op("add", p + ".time_bias", {t, nn::param(g, w, p + ".conv1.bias")});
    t = g.reshape(t, Desc(FACET_DTYPE_F32, {t.desc().dims[1]}));
    h = conv(g, w, p + ".conv1", h, 1, &t);
  } else {
    h = conv(g, w, p + ".conv1", h);
  }
  h = group_norm(g, w, p + ".norm2", h, groups, eps, true);
  h = conv(g, w, p + ".conv2", h);                                                              // f32 [O, H, W]
  Tensor skip = w.has(p + ".conv_shortcut.weight") ? conv(g, w, p + ".conv_shortcut", x) : x;
  return g.op("add", p + ".residual", {skip, h});
}

Tensor upsample(Graph& g, const Weights& w, const std::string& p, const Tensor& x) {
  Tensor up = g.op("upsample_nearest", p + ".nearest", {x}, {attr("scale", int64_t{2})});  // f32 [C, 2H, 2W]
  return conv(g, w, p + ".conv", up);
}

Tensor to_tokens(Graph& g, const Tensor& x, const std::string& node) {
  const Desc d = x.desc();
  Tensor flat = g.reshape(x, Desc(FACET_DTYPE_F32, {d.dims[0], d.dims[1] * d.dims[2]}));
  return g.op("permute", node, {flat}, {attr("p0", int64_t{1}), attr("p1", int64_t{0})});  // f32 [H*W, C]
}

Tensor to_image(Graph& g, const Tensor& t, int64_t h, int64_t w, const std::string& node) {
  Tensor cx = g.op("permute", node, {t}, {attr("p0", int64_t{1}), attr("p1", int64_t{0})});  // f32 [C, H*W]
  return g.reshape(cx, Desc(FACET_DTYPE_F32, {t.desc().dims[1], h, w}));
}

namespace {

Tensor attention_block(Graph& g, const Weights& w, const std::string& p, const Tensor& x, const Tensor& context,
                       int64_t heads) {
  Tensor q = nn::linear(g, w, p + ".to_q", x);
  Tensor k = nn::linear(g, w, p + ".to_k", context);
  Tensor v = nn::linear(g, w, p + ".to_v", context);
  return nn::linear(g, w, p + ".to_out.0", nn::attention(g, q, k, v, heads, p));
}

// BasicTransformerBlock on tokens f32 [T, C].
Tensor transformer_block(Graph& g, const Weights& w, const std::string& p, const Tensor& x, const Tensor& text,
                         int64_t heads) {
  Tensor n = nn::layer_norm(g, w, p + ".norm1", x, 1e-5);
  Tensor h = g.op("add", p + ".attn1.residual", {x, attention_block(g, w, p + ".attn1", n, n, heads)});
  n = nn::layer_norm(g, w, p + ".norm2", h, 1e-5);
  h = g.op("add", p + ".attn2.residual", {h, attention_block(g, w, p + ".attn2", n, text, heads)});
  n = nn::layer_norm(g, w, p + ".norm3", h, 1e-5);
  Tensor f = nn::linear(g, w, p + ".ff.net.0.proj", n);                                         // f32 [T, 2I]
  // diffusers' GEGLU: value, gate = f.chunk(2, -1); value * gelu(gate).
  Tensor a = g.op("geglu", p + ".ff.geglu", {f}, {attr("gate", int64_t{1})});                   // f32 [T, I]
  return g.op("add", p + ".ff.residual", {h, nn::linear(g, w, p + ".ff.net.2", a)});
}

}  // namespace

Tensor transformer(Graph& g, const Weights& w, const std::string& p, const Tensor& x, const Tensor& text, int64_t heads,
                   int64_t groups, bool linear_projection) {
  const Desc d = x.desc();
  const int64_t h = d.dims[1], wd = d.dims[2];
  Tensor n = group_norm(g, w, p + ".norm", x, groups, kAttentionNormEps, false);
  Tensor t = linear_projection ? linear2(g, w, p + ".proj_in", to_tokens(g, n, p + ".tokens"))
                               : to_tokens(g, conv(g, w, p + ".proj_in", n), p + ".tokens");  // f32 [H*W, C]
  for (int64_t j = 0; w.has(p + ".transformer_blocks." + std::to_string(j) + ".norm1.weight"); ++j)
    t = transformer_block(g, w, p + ".transformer_blocks." + std::to_string(j), t, text, heads);
  Tensor y = linear_projection ? to_image(g, linear2(g, w, p + ".proj_out", t), h, wd, p + ".image")
                               : conv(g, w, p + ".proj_out", to_image(g, t, h, wd, p + ".image"));
  return g.op("add", p + ".residual", {x, y});
}

Tensor vae_attention(Graph& g, const Weights& w, const std::string& p, const Tensor& x, int64_t groups) {
  const Desc d = x.desc();
  const bool old_names = w.has(p + ".query.weight");
  Tensor t = to_tokens(g, group_norm(g, w, p + ".group_norm", x, groups, kAttentionNormEps, false), p + ".tokens");
  Tensor q = linear2(g, w, p + (old_names ? ".query" : ".to_q"), t);
  Tensor k = linear2(g, w, p + (old_names ? ".key" : ".to_k"), t);
  Tensor v = linear2(g, w, p + (old_names ? ".value" : ".to_v"), t);
  Tensor a = linear2(g, w, p + (old_names ? ".proj_attn" : ".to_out.0"), nn::attention(g, q, k, v, 1, p));
  return g.op("add", p + ".residual", {x, to_image(g, a, d.dims[1], d.dims[2], p + ".image")});
}

}  // namespace facet::plugins::sd
