// AutoencoderKL, as diffusers computes it (resnets without time embedding, GroupNorm eps 1e-6):
//   decode: x = conv_in(post_quant_conv(z)); mid (resnet, attention, resnet);
//           up block i (reversed channels): layers_per_block + 1 resnets, upsampler unless last;
//           y = conv_out(silu(conv_norm_out(x)))
//   encode: x = conv_in(pixels); down block i: layers_per_block resnets, then unless last a
//           stride-2 3x3 conv after zero padding right and bottom by one; mid;
//           moments = quant_conv(conv_out(silu(conv_norm_out(x))))
#include "vae.hpp"

#include "sd_layers.hpp"

namespace facet::plugins::sd {

using sdk::attr;
using sdk::Desc;
using sdk::Error;

namespace {

constexpr double kEps = 1e-6;

std::string hw(const Desc& d) { return std::to_string(d.dims[1]) + "x" + std::to_string(d.dims[2]); }

Tensor mid_block(Graph& g, const Weights& w, const std::string& p, Tensor x, int64_t groups) {
  x = resnet(g, w, p + ".resnets.0", x, nullptr, groups, kEps);
  x = vae_attention(g, w, p + ".attentions.0", x, groups);
  return resnet(g, w, p + ".resnets.1", x, nullptr, groups, kEps);
}

// Zero padding of one column on the right and one row at the bottom: f32 [C, H, W] -> [C, H+1, W+1].
Tensor pad_right_bottom(Graph& g, const Tensor& x, const std::string& node) {
  const Desc d = x.desc();
  const int64_t c = d.dims[0], h = d.dims[1], wd = d.dims[2];
  Tensor col = g.constant(node + ".zero_col", Desc(FACET_DTYPE_F32, {c, h, 1}), std::vector<float>(static_cast<size_t>(c * h), 0.0f));
  Tensor y = g.op("concat", node + ".pad_w", {x, col}, {attr("dim", int64_t{2})});
  Tensor row = g.constant(node + ".zero_row", Desc(FACET_DTYPE_F32, {c, 1, wd + 1}),
                          std::vector<float>(static_cast<size_t>(c * (wd + 1)), 0.0f));
  return g.op("concat", node + ".pad_h", {y, row}, {attr("dim", int64_t{1})});
}

// Checks '<name>' [out, in, ...] against the config; `quant` must exist too.
void expect_conv(const Weights& w, const std::string& name, int64_t out, int64_t in, const std::string& quant) {
  const Desc d = w.desc(name);
  if (d.rank != 4 || d.dims[0] != out || d.dims[1] != in)
    throw Error("tensor '" + name + "' is not [" + std::to_string(out) + ", " + std::to_string(in) +
                ", k, k] as block_out_channels / latent_channels / in_channels of the vae config say");
  w.desc(quant);
}

}  // namespace

VaeDecoder::VaeDecoder(const sdk::StageConfig& cfg) : w_(cfg.weights()), c_(VaeConfig::load(cfg.weights())) {
  expect_conv(w_, "decoder.conv_in.weight", c_.channels.back(), c_.latent, "post_quant_conv.weight");
}

std::vector<Desc> VaeDecoder::infer(const std::vector<Desc>& in) {
  if (in[0].dims[0] != c_.latent)
    throw Error("vae_decoder: latents have " + std::to_string(in[0].dims[0]) + " channels, the VAE " + std::to_string(c_.latent));
  return {Desc(FACET_DTYPE_F32, {c_.out_channels, in[0].dims[1] * c_.factor(), in[0].dims[2] * c_.factor()})};
}

std::vector<Tensor> VaeDecoder::build(Graph& g, const std::vector<Tensor>& in) {
  Tensor x = conv(g, w_, "post_quant_conv", in[0]);
  x = conv(g, w_, "decoder.conv_in", x);
  x = mid_block(g, w_, "decoder.mid_block", x, c_.groups);
  const size_t n = c_.channels.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string b = "decoder.up_blocks." + std::to_string(i);
    for (int64_t l = 0; l <= c_.layers; ++l) x = resnet(g, w_, b + ".resnets." + std::to_string(l), x, nullptr, c_.groups, kEps);
    if (i + 1 < n) x = upsample(g, w_, b + ".upsamplers.0", x);
  }
  x = group_norm(g, w_, "decoder.conv_norm_out", x, c_.groups, kEps, true);
  return {conv(g, w_, "decoder.conv_out", x)};  // f32 [3, H, W]
}

VaeEncoder::VaeEncoder(const sdk::StageConfig& cfg) : w_(cfg.weights()), c_(VaeConfig::load(cfg.weights())) {
  expect_conv(w_, "encoder.conv_in.weight", c_.channels.front(), c_.in_channels, "quant_conv.weight");
}

std::vector<Desc> VaeEncoder::infer(const std::vector<Desc>& in) {
  const Desc& x = in[0];
  if (x.dims[0] != c_.in_channels)
    throw Error("vae_encoder: the image has " + std::to_string(x.dims[0]) + " channels, the VAE " + std::to_string(c_.in_channels));
  if (x.dims[1] % c_.factor() != 0 || x.dims[2] % c_.factor() != 0)
    throw Error("vae_encoder: image " + hw(x) + " is not a multiple of " + std::to_string(c_.factor()));
  return {Desc(FACET_DTYPE_F32, {2 * c_.latent, x.dims[1] / c_.factor(), x.dims[2] / c_.factor()})};
}

std::vector<Tensor> VaeEncoder::build(Graph& g, const std::vector<Tensor>& in) {
  Tensor x = conv(g, w_, "encoder.conv_in", in[0]);
  const size_t n = c_.channels.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string b = "encoder.down_blocks." + std::to_string(i);
    for (int64_t l = 0; l < c_.layers; ++l) x = resnet(g, w_, b + ".resnets." + std::to_string(l), x, nullptr, c_.groups, kEps);
    if (i + 1 < n) x = conv(g, w_, b + ".downsamplers.0.conv", pad_right_bottom(g, x, b + ".downsamplers.0"), 2, nullptr, 0);
  }
  x = mid_block(g, w_, "encoder.mid_block", x, c_.groups);
  x = group_norm(g, w_, "encoder.conv_norm_out", x, c_.groups, kEps, true);
  x = conv(g, w_, "encoder.conv_out", x);
  return {conv(g, w_, "quant_conv", x)};  // f32 [2 * latent, h, w]
}

}  // namespace facet::plugins::sd
