// The building blocks of Stable Diffusion's UNet and VAE over core ops, on one channels-first
// image x f32 [C, H, W]. Node names are the weight prefixes ("down_blocks.1.resnets.0.conv1"),
// so every node carries its block and layer index.
#pragma once

#include <facet/plugin.hpp>

#include <string>

namespace facet::plugins::sd {

using sdk::Graph;
using sdk::Tensor;
using sdk::Weights;

// Conv2d '<p>.weight' [O, C, k, k] (+ '<p>.bias'), padding k/2, stride `stride` -> f32 [O, H', W'].
// `bias` replaces the stored bias when present (a bias plus the time embedding).
Tensor conv(Graph& g, const Weights& w, const std::string& p, const Tensor& x, int64_t stride = 1,
            const Tensor* bias = nullptr, int64_t pad = -1);

// GroupNorm '<p>.weight/bias' with `groups` groups, SiLU fused in when `silu`.
Tensor group_norm(Graph& g, const Weights& w, const std::string& p, const Tensor& x, int64_t groups, double eps, bool silu);

// ResnetBlock2D: conv2(silu(norm2(conv1(silu(norm1(x))) + time_emb_proj(temb)))) + shortcut(x).
// `temb` is silu(time embedding) f32 [1, E], or nullptr (the VAE's blocks).
Tensor resnet(Graph& g, const Weights& w, const std::string& p, const Tensor& x, const Tensor* temb, int64_t groups,
              double eps);

// Upsample2D: nearest 2x, then '<p>.conv'. f32 [C, H, W] -> [C, 2H, 2W].
Tensor upsample(Graph& g, const Weights& w, const std::string& p, const Tensor& x);

// Transformer2DModel (SD): GroupNorm, proj_in (1x1 conv or linear), BasicTransformerBlocks
// (self-attention, cross-attention on `text` f32 [T, D], GEGLU feed-forward), proj_out, residual.
Tensor transformer(Graph& g, const Weights& w, const std::string& p, const Tensor& x, const Tensor& text, int64_t heads,
                   int64_t groups, bool linear_projection);

// The VAE's single-head mid-block attention (to_q/to_k/to_v/to_out.0, or the older
// query/key/value/proj_attn names), with its GroupNorm and residual.
Tensor vae_attention(Graph& g, const Weights& w, const std::string& p, const Tensor& x, int64_t groups);

// x f32 [C, H, W] as tokens f32 [H*W, C], and back.
Tensor to_tokens(Graph& g, const Tensor& x, const std::string& node);
Tensor to_image(Graph& g, const Tensor& t, int64_t h, int64_t w, const std::string& node);

}  // namespace facet::plugins::sd
