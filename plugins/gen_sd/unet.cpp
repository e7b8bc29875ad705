// UNet2DConditionModel, as diffusers computes it for one image:
//   emb = linear_2(silu(linear_1(t_proj)))                       // f32 [1, 4*C0]
//   x = conv_in(latents); skips = [x]
//   down block i: per layer resnet(x, emb) (+ transformer(x, text)), skips += x;
//                 downsampler (3x3 conv, stride 2) unless last, skips += x
//   mid: resnet, transformer, resnet
//   up block i: per layer (layers_per_block + 1) x = resnet(concat(x, skips.pop()), emb)
//               (+ transformer); upsampler (nearest 2x, conv) unless last
//   y = conv_out(silu(conv_norm_out(x)))
#include "unet.hpp"

#include <facet/nn.hpp>

#include "sd_layers.hpp"

namespace facet::plugins::sd {

using sdk::Desc;
using sdk::Error;
namespace nn = sdk::nn;

namespace {

std::string dims_str(const Desc& d) {
  std::string s;
  for (uint32_t i = 0; i < d.rank; ++i) s += (i ? ", " : "") + std::to_string(d.dims[i]);
  return "[" + s + "]";
}

void expect(const sdk::Weights& w, const std::string& name, std::initializer_list<int64_t> dims) {
  const Desc d = w.desc(name);
  bool ok = d.rank == dims.size();
  uint32_t i = 0;
  for (int64_t v : dims) ok = ok && d.dims[i++] == v;
  if (!ok) throw Error("tensor '" + name + "' is " + dims_str(d) + ", the config says " + dims_str(Desc(d.dtype, dims)));
}

}  // namespace

Unet::Unet(const sdk::StageConfig& cfg) : w_(cfg.weights()), c_(UnetConfig::load(cfg.weights())) {
  const int64_t c0 = c_.channels[0];
  expect(w_, "conv_in.weight", {c0, c_.in_channels, 3, 3});
  expect(w_, "time_embedding.linear_1.weight", {4 * c0, c0});
  expect(w_, "conv_out.weight", {c_.out_channels, c0, 3, 3});
  for (size_t i = 0; i < c_.channels.size(); ++i) {
    const std::string b = "down_blocks." + std::to_string(i);
    expect(w_, b + ".resnets.0.conv1.weight", {c_.channels[i], i ? c_.channels[i - 1] : c0, 3, 3});
    if (c_.cross_down[i]) {
      const std::string t = b + ".attentions.0.transformer_blocks.0.attn2.to_k.weight";
      expect(w_, t, {c_.channels[i], c_.cross_dim});
    }
  }
}

std::vector<Desc> Unet::infer(const std::vector<Desc>& in) {
  const Desc &x = in[0], &t = in[1], &text = in[2];
  const int64_t align = int64_t{1} << (c_.channels.size() - 1);
  if (x.dims[0] != c_.in_channels) throw Error("unet: latents have " + std::to_string(x.dims[0]) + " channels, the UNet takes " + std::to_string(c_.in_channels));
  if (x.dims[1] % align != 0 || x.dims[2] % align != 0)
    throw Error("unet: latents " + dims_str(x) + " must be a multiple of " + std::to_string(align) + " in height and width");
  if (t.dims[1] != c_.time_dim()) throw Error("unet: t_proj must be f32 [1, " + std::to_string(c_.time_dim()) + "], got " + dims_str(t));
  if (text.dims[1] != c_.cross_dim)
    throw Error("unet: text states are " + dims_str(text) + " but cross_attention_dim is " + std::to_string(c_.cross_dim));
  return {Desc(FACET_DTYPE_F32, {c_.out_channels, x.dims[1], x.dims[2]})};
}

std::vector<sdk::Tensor> Unet::build(sdk::Graph& g, const std::vector<sdk::Tensor>& in) {
  const sdk::Tensor &text = in[2];  // f32 [T, D]
  sdk::Tensor emb = nn::linear(g, w_, "time_embedding.linear_1", in[1]);
  emb = nn::linear(g, w_, "time_embedding.linear_2", g.op("silu", "time_embedding.act", {emb}));
  const sdk::Tensor temb = g.op("silu", "time_embedding.silu", {emb});                           // f32 [1, 4*C0]
  const size_t n = c_.channels.size();
  sdk::Tensor x = conv(g, w_, "conv_in", in[0]);                                                  // f32 [C0, h, w]
  std::vector<sdk::Tensor> skips = {x};
  for (size_t i = 0; i < n; ++i) {
    const std::string b = "down_blocks." + std::to_string(i);
    for (int64_t l = 0; l < c_.layers; ++l) {
      x = resnet(g, w_, b + ".resnets." + std::to_string(l), x, &temb, c_.groups, c_.eps);
      if (c_.cross_down[i])
        x = transformer(g, w_, b + ".attentions." + std::to_string(l), x, text, c_.heads[i], c_.groups, c_.linear_projection);
      skips.push_back(x);
    }
    if (i + 1 < n) {
      x = conv(g, w_, b + ".downsamplers.0.conv", x, 2);
      skips.push_back(x);
    }
  }
  x = resnet(g, w_, "mid_block.resnets.0", x, &temb, c_.groups, c_.eps);
  x = transformer(g, w_, "mid_block.attentions.0", x, text, c_.heads[n - 1], c_.groups, c_.linear_projection);
  x = resnet(g, w_, "mid_block.resnets.1", x, &temb, c_.groups, c_.eps);
  for (size_t i = 0; i < n; ++i) {
    const std::string b = "up_blocks." + std::to_string(i);
    const size_t level = n - 1 - i;
    for (int64_t l = 0; l <= c_.layers; ++l) {
      const std::string r = b + ".resnets." + std::to_string(l);
      x = g.op("concat", r + ".skip", {x, skips.back()}, {sdk::attr("dim", int64_t{0})});    // f32 [C + Cskip, h, w]
      skips.pop_back();
      x = resnet(g, w_, r, x, &temb, c_.groups, c_.eps);
      if (c_.cross_up[i])
        x = transformer(g, w_, b + ".attentions." + std::to_string(l), x, text, c_.heads[level], c_.groups, c_.linear_projection);
    }
    if (i + 1 < n) x = upsample(g, w_, b + ".upsamplers.0", x);
  }
  x = group_norm(g, w_, "conv_norm_out", x, c_.groups, c_.eps, true);
  return {conv(g, w_, "conv_out", x)};                                                            // f32 [out, h, w]
}

}  // namespace facet::plugins::sd
