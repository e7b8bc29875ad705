"""Single-file (CompVis/LDM) key names of the Stable Diffusion reference (sd_ref.py)."""
import json
import re

import numpy as np
import torch

from sd_ref_layers import *  # noqa: F401,F403
from sd_ref_unet import UNET_DEFAULTS, UNet2DConditionModel, per_block
from sd_ref_vae import VAE_DEFAULTS, AutoencoderKL


# ---------------------------------------------------------------------------------------------
# Single-file (CompVis/LDM "original") names, as diffusers' single-file conversion maps them.
RESNET_LDM = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1", "norm2": "out_layers.0",
              "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}
VAE_RESNET_LDM = {"norm1": "norm1", "conv1": "conv1", "norm2": "norm2", "conv2": "conv2", "conv_shortcut": "nin_shortcut"}
VAE_ATTN_LDM = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def unet_to_ldm(name, config):
    """A diffusers UNet parameter name -> its name under model.diffusion_model. in the LDM file."""
    c = merged(UNET_DEFAULTS, config)
    n = len(c["block_out_channels"])
    lpb = per_block(c["layers_per_block"], n)
    up_layers = [l + 1 for l in lpb[::-1]]
    fixed = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
             "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2"}
    stem, leaf = name.rsplit(".", 1)
    if stem in fixed:
        return f"{fixed[stem]}.{leaf}"
    p = name.split(".")

    def resnet_rest(rest):
        first, _, tail = rest.partition(".")
        return RESNET_LDM[first] + ("." + tail if tail else "")

    if p[0] == "down_blocks":
        i, kind, j, rest = int(p[1]), p[2], int(p[3]), ".".join(p[4:])
        base = 1 + sum(l + 1 for l in lpb[:i])
        if kind == "resnets":
            return f"input_blocks.{base + j}.0.{resnet_rest(rest)}"
        if kind == "attentions":
            return f"input_blocks.{base + j}.1.{rest}"
        return f"input_blocks.{base + lpb[i]}.0.op.{rest.split('.', 1)[1]}"  # downsamplers.0.conv.X
    if p[0] == "mid_block":
        kind, j, rest = p[1], int(p[2]), ".".join(p[3:])
        if kind == "resnets":
            return f"middle_block.{2 * j}.{resnet_rest(rest)}"
        return f"middle_block.1.{rest}"
    if p[0] == "up_blocks":
        i, kind, j, rest = int(p[1]), p[2], int(p[3]), ".".join(p[4:])
        base = sum(up_layers[:i])
        has_attn = c["up_block_types"][i] == "CrossAttnUpBlock2D"
        if kind == "resnets":
            return f"output_blocks.{base + j}.0.{resnet_rest(rest)}"
        if kind == "attentions":
            return f"output_blocks.{base + j}.1.{rest}"
        return f"output_blocks.{base + up_layers[i] - 1}.{2 if has_attn else 1}.{rest}"  # upsamplers.0.conv.X
    raise KeyError(name)


def vae_to_ldm(name, config):
    """A diffusers AutoencoderKL name -> its name under first_stage_model. (modern attention names)."""
    c = merged(VAE_DEFAULTS, config)
    n = len(c["block_out_channels"])
    p = name.split(".")
    if p[0] in ("quant_conv", "post_quant_conv"):
        return name
    side = p[0]
    if p[1] in ("conv_in", "conv_out"):
        return name
    if p[1] == "conv_norm_out":
        return f"{side}.norm_out.{p[2]}"
    if p[1] == "mid_block":
        kind, j, rest = p[2], int(p[3]), ".".join(p[4:])
        if kind == "resnets":
            first, _, tail = rest.partition(".")
            return f"{side}.mid.block_{j + 1}.{VAE_RESNET_LDM[first]}.{tail}"
        stem, leaf = rest.rsplit(".", 1)
        return f"{side}.mid.attn_1.{VAE_ATTN_LDM[stem]}.{leaf}"
    level = int(p[2]) if side == "encoder" else n - 1 - int(p[2])
    group = "down" if side == "encoder" else "up"
    kind, j, rest = p[3], int(p[4]), ".".join(p[5:])
    if kind == "resnets":
        first, _, tail = rest.partition(".")
        return f"{side}.{group}.{level}.block.{j}.{VAE_RESNET_LDM[first]}.{tail}"
    sampler = "downsample" if side == "encoder" else "upsample"
    return f"{side}.{group}.{level}.{sampler}.{rest}"  # {down,up}samplers.0.conv.X -> ...sample.conv.X (rest = conv.X)


OPENCLIP_LAYER = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj",
                  "self_attn.out_proj": "attn.out_proj"}


def clip_to_openclip(name):
    """A CLIPTextModel name -> its name under cond_stage_model.model. (OpenCLIP), or for q/k/v the
    fused (name, slot) in attn.in_proj_weight / in_proj_bias (slot 0 = q, 1 = k, 2 = v)."""
    fixed = {"text_model.embeddings.token_embedding.weight": "token_embedding.weight",
             "text_model.embeddings.position_embedding.weight": "positional_embedding",
             "text_model.final_layer_norm.weight": "ln_final.weight", "text_model.final_layer_norm.bias": "ln_final.bias"}
    if name in fixed:
        return fixed[name], None
    m = re.fullmatch(r"text_model\.encoder\.layers\.(\d+)\.(.+)\.(weight|bias)", name)
    i, stem, leaf = m.group(1), m.group(2), m.group(3)
    prefix = f"transformer.resblocks.{i}."
    if stem in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"):
        return prefix + "attn.in_proj_" + leaf, "qkv".index(stem[10])
    return prefix + OPENCLIP_LAYER[stem] + "." + leaf, None


def to_single_file(unet, vae, text, unet_cfg, vae_cfg, openclip):
    """Diffusers-named tensors -> one LDM state dict (VAE attention weights as 1x1 convs; OpenCLIP
    q/k/v fused in order). unet/vae/text: name -> tensor with modern names."""
    out = {}
    for k, v in unet.items():
        out["model.diffusion_model." + unet_to_ldm(k, unet_cfg)] = v
    for k, v in vae.items():
        name = vae_to_ldm(k, vae_cfg)
        if ".mid.attn_1." in name and name.endswith(".weight") and v.dim() == 2:
            v = v[:, :, None, None]
        out["first_stage_model." + name] = v
    fused = {}
    for k, v in text.items():
        if not openclip:
            out["cond_stage_model.transformer." + k] = v
            continue
        name, slot = clip_to_openclip(k)
        if slot is None:
            out["cond_stage_model.model." + name] = v
        else:
            fused.setdefault(name, [None] * 3)[slot] = v
    for name, parts in fused.items():
        out["cond_stage_model.model." + name] = torch.cat(parts, dim=0)
    return out


def from_single_file(sd, unet_cfg, vae_cfg, text_layers, openclip):
    """The inverse: an LDM state dict -> (unet, vae, text) in diffusers names, built from the key
    rules alone (each LDM name is looked up in the forward map of the expected diffusers names)."""
    with on_device("meta"):
        unet_names = list(UNet2DConditionModel(unet_cfg).state_dict())
        vae_names = list(AutoencoderKL(vae_cfg).state_dict())
    unet = {k: sd["model.diffusion_model." + unet_to_ldm(k, unet_cfg)] for k in unet_names}
    vae = {}
    for k in vae_names:
        v = sd["first_stage_model." + vae_to_ldm(k, vae_cfg)]
        vae[k] = v[:, :, 0, 0] if v.dim() == 4 and ".attentions." in k else v
    text = {}
    if not openclip:
        for k, v in sd.items():
            if k.startswith("cond_stage_model.transformer.") and not k.endswith("position_ids"):
                text[k[len("cond_stage_model.transformer."):]] = v
        return unet, vae, text
    pre = "cond_stage_model.model."
    d = sd[pre + "token_embedding.weight"].shape[1]
    names = ["text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
             "text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias"]
    for i in range(text_layers):
        for stem in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                     "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2"):
            names += [f"text_model.encoder.layers.{i}.{stem}.weight", f"text_model.encoder.layers.{i}.{stem}.bias"]
    for k in names:
        name, slot = clip_to_openclip(k)
        v = sd[pre + name]
        text[k] = v if slot is None else v[slot * d:(slot + 1) * d]
    return unet, vae, text


ST_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def load_safetensors(path):
    """name -> torch tensor (float32 for F16/F32 so reference arithmetic is f32), and the metadata."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[8 + n + a:8 + n + b], dtype=ST_DTYPES[info["dtype"]]).reshape(info["shape"])
        t = torch.from_numpy(arr.copy())
        out[name] = t.float() if t.is_floating_point() else t
    return out, meta
