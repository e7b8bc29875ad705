"""AutoencoderKL of the Stable Diffusion reference (sd_ref.py), and loading state dicts."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from sd_ref_layers import *  # noqa: F401,F403
from sd_ref_unet import DownBlock, ResnetBlock2D, Upsample2D, sdpa

# ---------------------------------------------------------------------------------------------
# AutoencoderKL (diffusers).
VAE_DEFAULTS = {"in_channels": 3, "out_channels": 3, "down_block_types": ["DownEncoderBlock2D"],
                "up_block_types": ["UpDecoderBlock2D"], "block_out_channels": [64], "layers_per_block": 1,
                "act_fn": "silu", "latent_channels": 4, "norm_num_groups": 32, "sample_size": 32,
                "scaling_factor": 0.18215, "shift_factor": None, "latents_mean": None, "latents_std": None,
                "force_upcast": True, "use_quant_conv": True, "use_post_quant_conv": True,
                "mid_block_add_attention": True}
# Older diffusers exports (and SD 1.x's vae/) name the mid-block attention query/key/value/proj_attn.
DEPRECATED_VAE_ATTENTION = {"query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"}


class VAEAttention(nn.Module):
    """Single-head self-attention over pixels with its own GroupNorm, q/k/v/out biases, residual."""

    def __init__(self, c, groups):
        super().__init__()
        self.group_norm = group_norm(groups, c, 1e-6)
        self.to_q, self.to_k, self.to_v = linear(c, c), linear(c, c), linear(c, c)
        self.to_out = nn.ModuleList([linear(c, c)])

    def forward(self, x):
        b, c, h, w = x.shape
        t = self.group_norm(x).view(b, c, h * w).transpose(1, 2)
        o = self.to_out[0](sdpa(self.to_q(t), self.to_k(t), self.to_v(t), 1))
        return o.transpose(1, 2).reshape(b, c, h, w) + x


class VAEMid(nn.Module):
    def __init__(self, c, groups, add_attention):
        super().__init__()
        self.resnets = nn.ModuleList(ResnetBlock2D(c, c, None, groups, 1e-6) for _ in range(2))
        if add_attention:
            self.attentions = nn.ModuleList([VAEAttention(c, groups)])

    def forward(self, x):
        x = self.resnets[0](x)
        if hasattr(self, "attentions"):
            x = self.attentions[0](x)
        return self.resnets[1](x)


class AutoencoderKL(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = self.config = merged(VAE_DEFAULTS, config)
        if c["act_fn"] != "silu" or c["shift_factor"] not in (None, 0):
            raise NotImplementedError("AutoencoderKL outside the SD 1.x/2.x reference")
        boc, groups, lat, lpb = c["block_out_channels"], c["norm_num_groups"], c["latent_channels"], c["layers_per_block"]
        n = len(boc)
        enc = self.encoder = nn.Module()
        enc.conv_in = conv(c["in_channels"], boc[0], 3, padding=1)
        enc.down_blocks = nn.ModuleList(
            DownBlock(lpb, boc[max(i - 1, 0)], boc[i], None, groups, 1e-6, i < n - 1, 0) for i in range(n))
        enc.mid_block = VAEMid(boc[-1], groups, c["mid_block_add_attention"])
        enc.conv_norm_out = group_norm(groups, boc[-1], 1e-6)
        enc.conv_out = conv(boc[-1], 2 * lat, 3, padding=1)
        dec = self.decoder = nn.Module()
        dec.conv_in = conv(lat, boc[-1], 3, padding=1)
        dec.mid_block = VAEMid(boc[-1], groups, c["mid_block_add_attention"])
        rb = boc[::-1]
        dec.up_blocks = nn.ModuleList()
        for i in range(n):
            b = nn.Module()
            b.resnets = nn.ModuleList(ResnetBlock2D(rb[max(i - 1, 0)] if j == 0 else rb[i], rb[i], None, groups, 1e-6)
                                      for j in range(lpb + 1))
            if i < n - 1:
                b.upsamplers = nn.ModuleList([Upsample2D(rb[i])])
            dec.up_blocks.append(b)
        dec.conv_norm_out = group_norm(groups, boc[0], 1e-6)
        dec.conv_out = conv(boc[0], c["out_channels"], 3, padding=1)
        if c["use_quant_conv"]:
            self.quant_conv = conv(2 * lat, 2 * lat, 1)
        if c["use_post_quant_conv"]:
            self.post_quant_conv = conv(lat, lat, 1)

    def encode(self, image):
        """image [B, 3, H, W] in [-1, 1] -> (mean, logvar) [B, latent, H/2^(n-1), ...], logvar clamped to [-30, 20]."""
        e = self.encoder
        x = e.conv_in(image)
        for block in e.down_blocks:
            x, _ = block(x)
        x = e.conv_out(F.silu(e.conv_norm_out(e.mid_block(x))))
        if hasattr(self, "quant_conv"):
            x = self.quant_conv(x)
        mean, logvar = x.chunk(2, dim=1)
        return mean, torch.clamp(logvar, -30.0, 20.0)

    def decode(self, z):
        d = self.decoder
        if hasattr(self, "post_quant_conv"):
            z = self.post_quant_conv(z)
        x = d.mid_block(d.conv_in(z))
        for block in d.up_blocks:
            for resnet in block.resnets:
                x = resnet(x)
            if hasattr(block, "upsamplers"):
                x = block.upsamplers[0](x)
        return d.conv_out(F.silu(d.conv_norm_out(x)))


def load_state(module, tensors):
    """load_state_dict(strict) from a name -> tensor dict in diffusers/transformers names; accepts the
    deprecated VAE attention names and drops text_model.embeddings.position_ids."""
    fixed = {}
    for k, v in tensors.items():
        if k.endswith("embeddings.position_ids"):
            continue
        parts = k.split(".")
        if isinstance(module, AutoencoderKL) and len(parts) > 1 and parts[-2] in DEPRECATED_VAE_ATTENTION:
            k = ".".join(parts[:-2] + [DEPRECATED_VAE_ATTENTION[parts[-2]], parts[-1]])
            if v.dim() == 4:
                v = v[:, :, 0, 0]
        fixed[k] = v.float()
    module.load_state_dict(fixed, strict=True)
    return module
