"""UNet2DConditionModel of the Stable Diffusion reference (sd_ref.py), as diffusers defines it."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from sd_ref_layers import *  # noqa: F401,F403

# ---------------------------------------------------------------------------------------------
# UNet2DConditionModel (diffusers).
def timestep_embedding(timesteps, dim, flip_sin_to_cos, freq_shift, max_period=10000):
    """get_timestep_embedding: timesteps (int or float) [N] -> [N, dim]."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(0, half, dtype=torch.float32)
    exponent = exponent / (half - freq_shift)
    emb = timesteps[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    if dim % 2 == 1:
        emb = F.pad(emb, (0, 1, 0, 0))
    return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, c_in, dim):
        super().__init__()
        self.linear_1, self.linear_2 = linear(c_in, dim), linear(dim, dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    """diffusers ResnetBlock2D (time_embedding_norm "default", output_scale_factor 1)."""

    def __init__(self, c_in, c_out, temb, groups, eps):
        super().__init__()
        self.norm1 = group_norm(groups, c_in, eps)
        self.conv1 = conv(c_in, c_out, 3, padding=1)
        if temb is not None:
            self.time_emb_proj = linear(temb, c_out)
        self.norm2 = group_norm(groups, c_out, eps)
        self.conv2 = conv(c_out, c_out, 3, padding=1)
        if c_in != c_out:
            self.conv_shortcut = conv(c_in, c_out, 1)

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if temb is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        if hasattr(self, "conv_shortcut"):
            x = self.conv_shortcut(x)
        return x + h


def sdpa(q, k, v, heads):
    """q [B, Tq, H*D], k/v [B, Tk, H*D] -> [B, Tq, H*D], scale D^-0.5."""
    b, tq, inner = q.shape
    d = inner // heads
    q, k, v = (x.view(b, -1, heads, d).transpose(1, 2) for x in (q, k, v))
    w = torch.softmax((q @ k.transpose(-1, -2)) * d ** -0.5, dim=-1)
    return (w @ v).transpose(1, 2).reshape(b, tq, inner)


class Attention(nn.Module):
    """diffusers Attention as BasicTransformerBlock builds it (no q/k/v bias, out bias)."""

    def __init__(self, query_dim, heads, head_dim, cross_dim=None):
        super().__init__()
        inner = heads * head_dim
        self.heads = heads
        self.to_q = linear(query_dim, inner, bias=False)
        self.to_k = linear(cross_dim or query_dim, inner, bias=False)
        self.to_v = linear(cross_dim or query_dim, inner, bias=False)
        self.to_out = nn.ModuleList([linear(inner, query_dim)])

    def forward(self, x, context=None):
        context = x if context is None else context
        return self.to_out[0](sdpa(self.to_q(x), self.to_k(context), self.to_v(context), self.heads))


class GEGLU(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.proj = linear(d, inner * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(d, 4 * d), nn.Dropout(0.0), linear(4 * d, d)])

    def forward(self, x):
        return self.net[2](self.net[0](x))


class BasicTransformerBlock(nn.Module):
    def __init__(self, d, heads, head_dim, cross_dim):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = layer_norm(d, 1e-5), layer_norm(d, 1e-5), layer_norm(d, 1e-5)
        self.attn1 = Attention(d, heads, head_dim)
        self.attn2 = Attention(d, heads, head_dim, cross_dim)
        self.ff = FeedForward(d)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    """Continuous-input Transformer2DModel: GroupNorm(eps 1e-6), proj_in (1x1 conv, or linear with
    use_linear_projection), blocks, proj_out, residual."""

    def __init__(self, heads, head_dim, c_in, layers, cross_dim, groups, use_linear_projection):
        super().__init__()
        inner = heads * head_dim
        self.linear = use_linear_projection
        self.norm = group_norm(groups, c_in, 1e-6)
        self.proj_in = linear(c_in, inner) if self.linear else conv(c_in, inner, 1)
        self.transformer_blocks = nn.ModuleList(BasicTransformerBlock(inner, heads, head_dim, cross_dim)
                                                for _ in range(layers))
        self.proj_out = linear(inner, c_in) if self.linear else conv(inner, c_in, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        res = x
        x = self.norm(x)
        if not self.linear:
            x = self.proj_in(x)
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, -1)
        if self.linear:
            x = self.proj_in(x)
        for block in self.transformer_blocks:
            x = block(x, context)
        if self.linear:
            x = self.proj_out(x)
        x = x.reshape(b, h, w, -1).permute(0, 3, 1, 2)
        if not self.linear:
            x = self.proj_out(x)
        return x + res


class Downsample2D(nn.Module):
    """3x3 stride-2 conv; padding 1 (UNet) or 0 with a (0, 1, 0, 1) zero pad first (VAE)."""

    def __init__(self, c, padding):
        super().__init__()
        self.padding = padding
        self.conv = conv(c, c, 3, stride=2, padding=padding)

    def forward(self, x):
        if self.padding == 0:
            x = F.pad(x, (0, 1, 0, 1))
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = conv(c, c, 3, padding=1)

    def forward(self, x, size=None):
        x = F.interpolate(x, scale_factor=2.0, mode="nearest") if size is None else F.interpolate(x, size=size, mode="nearest")
        return self.conv(x)


class DownBlock(nn.Module):
    """CrossAttnDownBlock2D (attn given) or DownBlock2D; also the VAE's DownEncoderBlock2D (temb None)."""

    def __init__(self, layers, c_in, c_out, temb, groups, eps, add_downsample, pad, attn=None):
        super().__init__()
        self.resnets = nn.ModuleList(ResnetBlock2D(c_in if i == 0 else c_out, c_out, temb, groups, eps)
                                     for i in range(layers))
        if attn is not None:
            self.attentions = nn.ModuleList(attn(c_out) for _ in range(layers))
        if add_downsample:
            self.downsamplers = nn.ModuleList([Downsample2D(c_out, pad)])

    def forward(self, x, temb=None, context=None):
        outs = []
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if hasattr(self, "attentions"):
                x = self.attentions[i](x, context)
            outs.append(x)
        if hasattr(self, "downsamplers"):
            x = self.downsamplers[0](x)
            outs.append(x)
        return x, outs


class UpBlock(nn.Module):
    """CrossAttnUpBlock2D / UpBlock2D (skip connections concatenated before each resnet)."""

    def __init__(self, layers, c_in, c_out, c_prev, temb, groups, eps, add_upsample, attn=None):
        super().__init__()
        self.resnets = nn.ModuleList(
            ResnetBlock2D((c_prev if i == 0 else c_out) + (c_in if i == layers - 1 else c_out), c_out, temb, groups, eps)
            for i in range(layers))
        if attn is not None:
            self.attentions = nn.ModuleList(attn(c_out) for _ in range(layers))
        if add_upsample:
            self.upsamplers = nn.ModuleList([Upsample2D(c_out)])

    def forward(self, x, skips, temb, context, size=None):
        for i, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb)
            if hasattr(self, "attentions"):
                x = self.attentions[i](x, context)
        if hasattr(self, "upsamplers"):
            x = self.upsamplers[0](x, size)
        return x


UNET_DEFAULTS = {
    "sample_size": None, "in_channels": 4, "out_channels": 4, "center_input_sample": False, "flip_sin_to_cos": True,
    "freq_shift": 0,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "only_cross_attention": False, "block_out_channels": [320, 640, 1280, 1280], "layers_per_block": 2,
    "downsample_padding": 1, "mid_block_scale_factor": 1, "dropout": 0.0, "act_fn": "silu", "norm_num_groups": 32,
    "norm_eps": 1e-5, "cross_attention_dim": 1280, "transformer_layers_per_block": 1, "attention_head_dim": 8,
    "num_attention_heads": None, "dual_cross_attention": False, "use_linear_projection": False,
    "class_embed_type": None, "addition_embed_type": None, "num_class_embeds": None, "upcast_attention": False,
    "resnet_time_scale_shift": "default", "time_embedding_type": "positional", "time_embedding_dim": None,
    "time_cond_proj_dim": None, "timestep_post_act": None, "conv_in_kernel": 3, "conv_out_kernel": 3,
    "projection_class_embeddings_input_dim": None, "class_embeddings_concat": False, "mid_block_only_cross_attention": None,
    "cross_attention_norm": None, "encoder_hid_dim": None, "encoder_hid_dim_type": None, "attention_type": "default",
    "reverse_transformer_layers_per_block": None,
}


def per_block(v, n):
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


class UNet2DConditionModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = self.config = merged(UNET_DEFAULTS, config)
        unsupported = {"only_cross_attention": False, "dual_cross_attention": False, "class_embed_type": None,
                       "addition_embed_type": None, "num_class_embeds": None, "resnet_time_scale_shift": "default",
                       "time_embedding_type": "positional", "time_cond_proj_dim": None, "timestep_post_act": None,
                       "conv_in_kernel": 3, "conv_out_kernel": 3, "encoder_hid_dim": None, "act_fn": "silu",
                       "mid_block_scale_factor": 1, "time_embedding_dim": None, "attention_type": "default",
                       "mid_block_type": "UNetMidBlock2DCrossAttn", "cross_attention_norm": None,
                       "reverse_transformer_layers_per_block": None}
        for k, v in unsupported.items():
            if c[k] != v and not (isinstance(v, bool) and c[k] in (None, v)):
                raise NotImplementedError(f"UNet config {k} = {c[k]!r} is outside the SD 1.x/2.x reference")
        boc = c["block_out_channels"]
        n = len(boc)
        if len(c["down_block_types"]) != n or len(c["up_block_types"]) != n:
            raise ValueError("down_block_types, up_block_types and block_out_channels differ in length")
        # diffusers: num_attention_heads = num_attention_heads or attention_head_dim (SD 1.x/2.x
        # configs name the head count attention_head_dim); each head has channels // heads.
        heads = per_block(c["num_attention_heads"] or c["attention_head_dim"], n)
        layers = per_block(c["layers_per_block"], n)
        tlayers = per_block(c["transformer_layers_per_block"], n)
        cross = c["cross_attention_dim"]
        if isinstance(cross, (list, tuple)):
            raise NotImplementedError("per-block cross_attention_dim")
        groups, eps, lin = c["norm_num_groups"], c["norm_eps"], c["use_linear_projection"]
        self.heads = heads
        temb = boc[0] * 4

        def attn(h, tl):
            return lambda ch: Transformer2DModel(h, ch // h, ch, tl, cross, groups, lin)

        self.conv_in = conv(c["in_channels"], boc[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(boc[0], temb)
        self.down_blocks = nn.ModuleList()
        c_out = boc[0]
        for i, kind in enumerate(c["down_block_types"]):
            c_in, c_out = c_out, boc[i]
            if kind not in ("CrossAttnDownBlock2D", "DownBlock2D"):
                raise NotImplementedError(f"down block {kind}")
            self.down_blocks.append(DownBlock(layers[i], c_in, c_out, temb, groups, eps, i < n - 1, c["downsample_padding"],
                                              attn(heads[i], tlayers[i]) if kind == "CrossAttnDownBlock2D" else None))
        self.mid_block = nn.Module()
        self.mid_block.resnets = nn.ModuleList(ResnetBlock2D(boc[-1], boc[-1], temb, groups, eps) for _ in range(2))
        self.mid_block.attentions = nn.ModuleList([attn(heads[-1], tlayers[-1])(boc[-1])])
        self.up_blocks = nn.ModuleList()
        rboc, rheads, rlayers, rtl = boc[::-1], heads[::-1], layers[::-1], tlayers[::-1]
        c_out = rboc[0]
        for i, kind in enumerate(c["up_block_types"]):
            c_prev, c_out, c_in = c_out, rboc[i], rboc[min(i + 1, n - 1)]
            if kind not in ("CrossAttnUpBlock2D", "UpBlock2D"):
                raise NotImplementedError(f"up block {kind}")
            self.up_blocks.append(UpBlock(rlayers[i] + 1, c_in, c_out, c_prev, temb, groups, eps, i < n - 1,
                                          attn(rheads[i], rtl[i]) if kind == "CrossAttnUpBlock2D" else None))
        self.conv_norm_out = group_norm(groups, boc[0], eps)
        self.conv_out = conv(boc[0], c["out_channels"], 3, padding=1)

    def time_proj(self, timesteps):
        return timestep_embedding(timesteps, self.config["block_out_channels"][0], self.config["flip_sin_to_cos"],
                                  self.config["freq_shift"])

    def forward(self, sample, timestep, context):
        """sample [B, 4, h, w]; timestep: scalar or [B] (int or float); context [B, 77, cross]."""
        c = self.config
        t = torch.as_tensor(timestep)
        t = (t[None] if t.dim() == 0 else t).expand(sample.shape[0])
        emb = self.time_embedding(self.time_proj(t))
        if c["center_input_sample"]:
            sample = 2 * sample - 1.0
        up_factor = 2 ** (len(self.up_blocks) - 1)
        forward_size = any(s % up_factor != 0 for s in sample.shape[-2:])
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x, outs = block(x, emb, context)
            skips.extend(outs)
        mb = self.mid_block
        x = mb.resnets[0](x, emb)
        x = mb.attentions[0](x, context)
        x = mb.resnets[1](x, emb)
        for i, block in enumerate(self.up_blocks):
            own = skips[len(skips) - len(block.resnets):]
            del skips[len(skips) - len(block.resnets):]
            size = skips[-1].shape[2:] if (forward_size and i < len(self.up_blocks) - 1) else None
            x = block(x, own, emb, context, size)
        return self.conv_out(F.silu(self.conv_norm_out(x)))
