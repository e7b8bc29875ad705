"""PyTorch reference of Stable Diffusion 1.x / 2.x / Turbo for Facet's tests, written from the
published definitions of diffusers (UNet2DConditionModel, AutoencoderKL, the schedulers, the
StableDiffusion txt2img/img2img pipelines) and transformers (CLIPTextModel, CLIPTokenizer).

Every module's parameter names are the diffusers / transformers state-dict names, so a folder's
safetensors load with load_state_dict(strict=True). Everything runs in float32 on the CPU.

Contents:
- CLIPTokenizer: byte-level BPE with CLIP's "</w>" word ends, from vocab.json + merges.txt
  (the form diffusers ships in tokenizer/) or from a tokenizer.json.
- CLIPTextModel: hidden states as transformers numbers them; prompt_embeds(ids, clip_skip).
- UNet2DConditionModel: CrossAttnDownBlock2D, DownBlock2D, UNetMidBlock2DCrossAttn, UpBlock2D,
  CrossAttnUpBlock2D, Transformer2DModel (conv or linear projection), every size from config.json.
- AutoencoderKL: encoder (mean, logvar), decoder, quant convs, mid-block attention.
- Schedulers: DDIM, PNDM (PRK + PLMS), Euler, Euler ancestral, DPM-Solver++ 2M (optionally Karras
  sigmas), LCM; built from a scheduler_config.json dict, absent keys taking the class's defaults.
- txt2img / img2img: the pipeline's loop (classifier-free guidance with a negative prompt,
  init_noise_sigma, scale_model_input, strength), with every random draw passed in as a tensor.
- Single-file (CompVis/LDM) key names: ldm_key_map(...) gives the explicit name pairs."""
import contextlib
import json
import math
import os
import re
import unicodedata

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# Layer factories. Parameters are made on _DEVICE[0]; on_device("meta") builds a full-size model
# without memory, to compare parameter names and counts with the published checkpoints.
_DEVICE = [None]


@contextlib.contextmanager
def on_device(device):
    old, _DEVICE[0] = _DEVICE[0], device
    try:
        yield
    finally:
        _DEVICE[0] = old


def linear(i, o, bias=True):
    return nn.Linear(i, o, bias=bias, device=_DEVICE[0])


def conv(i, o, k, stride=1, padding=0):
    return nn.Conv2d(i, o, k, stride=stride, padding=padding, device=_DEVICE[0])


def group_norm(groups, c, eps):
    return nn.GroupNorm(groups, c, eps=eps, affine=True, device=_DEVICE[0])


def layer_norm(d, eps):
    return nn.LayerNorm(d, eps=eps, device=_DEVICE[0])


def merged(defaults, config):
    """A class's constructor arguments from a config.json dict: keys absent take the defaults;
    keys starting with '_' and keys the class does not take are ignored (as from_config does)."""
    out = dict(defaults)
    out.update({k: v for k, v in config.items() if k in defaults})
    return out


# ---------------------------------------------------------------------------------------------
# CLIP tokenizer (transformers CLIPTokenizer / CLIPTokenizerFast as the tokenizer.json describes:
# NFC, whitespace runs -> one space, lowercase, CLIP's split pattern, byte-level, BPE with </w>).
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _is_letter(c):
    return unicodedata.category(c).startswith("L")


def _is_number(c):
    return unicodedata.category(c).startswith("N")


CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def clip_pre_split(text):
    """The pieces of  's|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+  in order."""
    pieces, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        hit = next((k for k in CONTRACTIONS if text.startswith(k, i)), None)
        if hit:
            pieces.append(hit)
            i += len(hit)
        elif _is_letter(c):
            j = i
            while j < n and _is_letter(text[j]):
                j += 1
            pieces.append(text[i:j])
            i = j
        elif _is_number(c):
            pieces.append(c)
            i += 1
        elif c.isspace():
            i += 1
        else:
            j = i
            while j < n and not (text[j].isspace() or _is_letter(text[j]) or _is_number(text[j])):
                j += 1
            pieces.append(text[i:j])
            i = j
    return pieces


class CLIPTokenizer:
    def __init__(self, vocab, merges, bos="<|startoftext|>", eos="<|endoftext|>", pad="<|endoftext|>",
                 unk="<|endoftext|>", model_max_length=77):
        self.vocab = vocab
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.bos_id, self.eos_id = vocab[bos], vocab[eos]
        self.pad_id, self.unk_id = vocab[pad], vocab[unk]
        self.model_max_length = model_max_length

    @classmethod
    def from_folder(cls, folder):
        """A diffusers tokenizer/ folder: vocab.json, merges.txt (first line '#version'),
        tokenizer_config.json (+ special_tokens_map.json)."""
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            merges = [m for m in f.read().strip().split("\n")[1:] if m]
        with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        special = {}
        path = os.path.join(folder, "special_tokens_map.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                special = json.load(f)

        def token(name, default):
            v = cfg.get(name, special.get(name, default))
            return v["content"] if isinstance(v, dict) else v
        return cls(vocab, merges, token("bos_token", "<|startoftext|>"), token("eos_token", "<|endoftext|>"),
                   token("pad_token", "<|endoftext|>"), token("unk_token", "<|endoftext|>"),
                   cfg.get("model_max_length", 77))

    @classmethod
    def from_tokenizer_json(cls, path, **kw):
        with open(path, encoding="utf-8") as f:
            model = json.load(f)["model"]
        merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
        return cls(model["vocab"], merges, **kw)

    def bpe(self, piece):
        word = list(piece[:-1]) + [piece[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[k], word[k + 1]) for k in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, k = [], 0
            while k < len(word):
                if k < len(word) - 1 and (word[k], word[k + 1]) == best:
                    out.append(word[k] + word[k + 1])
                    k += 2
                else:
                    out.append(word[k])
                    k += 1
            word = out
        return word

    def encode(self, text):
        """Ids without the added BOS/EOS. The special tokens written in the text are matched first
        (as the tokenizer's added tokens are); the text between them is normalized (NFC, whitespace
        runs -> " ", lowercase), split and BPE-encoded."""
        ids = []
        for part in re.split(r"(<\|startoftext\|>|<\|endoftext\|>)", text):
            if part in ("<|startoftext|>", "<|endoftext|>"):
                ids.append(self.vocab[part])
                continue
            part = re.sub(r"\s+", " ", unicodedata.normalize("NFC", part)).lower()
            for piece in clip_pre_split(part):
                mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
                ids.extend(self.vocab.get(t, self.unk_id) for t in self.bpe(mapped))
        return ids

    def __call__(self, text, max_length=None):
        """tokenizer(text, padding="max_length", max_length=model_max_length, truncation=True)."""
        n = max_length or self.model_max_length
        ids = [self.bos_id] + self.encode(text)[: n - 2] + [self.eos_id]
        return ids + [self.pad_id] * (n - len(ids))


# ---------------------------------------------------------------------------------------------
# CLIPTextModel (transformers), text_model.* names.
CLIP_TEXT_DEFAULTS = {"vocab_size": 49408, "hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 12,
                      "num_attention_heads": 8, "max_position_embeddings": 77, "hidden_act": "quick_gelu",
                      "layer_norm_eps": 1e-5}
ACTIVATIONS = {"quick_gelu": lambda x: x * torch.sigmoid(1.702 * x), "gelu": F.gelu,
               "gelu_new": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu, "relu": F.relu}


class CLIPAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (linear(d, d) for _ in range(4))

    def forward(self, x, mask):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = (p(x).view(b, t, self.heads, hd).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        w = torch.softmax((q * hd ** -0.5) @ k.transpose(-1, -2) + mask, dim=-1)
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, t, d))


class CLIPMLP(nn.Module):
    def __init__(self, d, inner, act):
        super().__init__()
        self.act = ACTIVATIONS[act]
        self.fc1, self.fc2 = linear(d, inner), linear(inner, d)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, eps = c["hidden_size"], c["layer_norm_eps"]
        self.self_attn = CLIPAttention(d, c["num_attention_heads"])
        self.layer_norm1 = layer_norm(d, eps)
        self.mlp = CLIPMLP(d, c["intermediate_size"], c["hidden_act"])
        self.layer_norm2 = layer_norm(d, eps)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.embeddings = nn.Module()
        self.embeddings.token_embedding = nn.Embedding(c["vocab_size"], d, device=_DEVICE[0])
        self.embeddings.position_embedding = nn.Embedding(c["max_position_embeddings"], d, device=_DEVICE[0])
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList(CLIPEncoderLayer(c) for _ in range(c["num_hidden_layers"]))
        self.final_layer_norm = layer_norm(d, c["layer_norm_eps"])


class CLIPTextModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = merged(CLIP_TEXT_DEFAULTS, config)
        self.text_model = CLIPTextTransformer(self.config)

    def forward(self, ids):
        """ids: int64 [B, T]. Returns (hidden_states, last_hidden_state); hidden_states[0] is the
        embedding output, hidden_states[-1] the last layer's output before final_layer_norm."""
        tm = self.text_model
        t = ids.shape[1]
        x = tm.embeddings.token_embedding(ids) + tm.embeddings.position_embedding(torch.arange(t))[None]
        mask = torch.full((t, t), float("-inf")).triu(1)
        hidden = [x]
        for layer in tm.encoder.layers:
            x = layer(x, mask)
            hidden.append(x)
        return hidden, tm.final_layer_norm(x)

    def prompt_embeds(self, ids, clip_skip=None):
        """StableDiffusionPipeline.encode_prompt: last_hidden_state, or with clip_skip = k the
        hidden state k layers before the last, passed through final_layer_norm."""
        hidden, last = self(ids)
        if clip_skip is None:
            return last
        return self.text_model.final_layer_norm(hidden[-(clip_skip + 1)])


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


# ---------------------------------------------------------------------------------------------
# Schedulers. Arithmetic in float32 torch / float32-float64 numpy exactly where diffusers has it.
def make_betas(c):
    n = c["num_train_timesteps"]
    if c.get("trained_betas") is not None:
        return torch.tensor(c["trained_betas"], dtype=torch.float32)
    if c["beta_schedule"] == "linear":
        return torch.linspace(c["beta_start"], c["beta_end"], n, dtype=torch.float32)
    if c["beta_schedule"] == "scaled_linear":
        return torch.linspace(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, n, dtype=torch.float32) ** 2
    if c["beta_schedule"] == "squaredcos_cap_v2":
        def alpha_bar(t):
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return torch.tensor([min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), 0.999) for i in range(n)],
                            dtype=torch.float32)
    raise NotImplementedError(f"beta_schedule {c['beta_schedule']}")


COMMON = {"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear",
          "trained_betas": None, "prediction_type": "epsilon", "steps_offset": 0, "rescale_betas_zero_snr": False}


class Scheduler:
    DEFAULTS = {}
    order = 1

    def __init__(self, config):
        self.config = c = merged(self.DEFAULTS, config)
        for k in ("rescale_betas_zero_snr", "thresholding"):
            if c.get(k):
                raise NotImplementedError(f"{type(self).__name__}: {k}")
        if c["prediction_type"] not in ("epsilon", "v_prediction", "sample"):
            raise ValueError(f"prediction_type {c['prediction_type']}")
        self.betas = make_betas(c)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.begin_index = None
        self.step_index = None

    def scale_model_input(self, sample, t):
        return sample

    def set_begin_index(self, index):
        self.begin_index = index

    def index_for_timestep(self, t):
        hits = (self.timesteps == t).nonzero()
        return hits[1 if len(hits) > 1 else 0].item()

    def init_step_index(self, t):
        if self.step_index is None:
            self.step_index = self.index_for_timestep(t) if self.begin_index is None else self.begin_index

    def add_noise_alpha(self, x0, noise, t):
        """DDPM/DDIM/PNDM/LCM add_noise: sqrt(acp[t]) x0 + sqrt(1 - acp[t]) noise (t: [B])."""
        acp = self.alphas_cumprod[t].flatten().view(-1, 1, 1, 1)
        return acp ** 0.5 * x0 + (1 - acp) ** 0.5 * noise

    def noise_index(self, t):
        """The sigma index add_noise takes: begin_index unset -> the timestep's index; after a step ->
        step_index; before the first step (img2img) -> begin_index."""
        if self.begin_index is None:
            return self.index_for_timestep(t)
        return self.step_index if self.step_index is not None else self.begin_index

    add_noise = add_noise_alpha

    def table(self):
        """What the C++ scheduler can be unit-tested against."""
        out = {"timesteps": self.timesteps.tolist(), "init_noise_sigma": float(self.init_noise_sigma)}
        if hasattr(self, "sigmas"):
            out["sigmas"] = self.sigmas.tolist()
        return out


def spaced_timesteps(c, n, float_out=False):
    """linspace / leading / trailing as DDIM (int64) and Euler (float32) set_timesteps have them."""
    T = c["num_train_timesteps"]
    sp = c["timestep_spacing"]
    if sp == "linspace":
        if float_out:
            return np.linspace(0, T - 1, n, dtype=np.float32)[::-1].copy()
        return np.linspace(0, T - 1, n).round()[::-1].copy().astype(np.int64)
    if sp == "leading":
        ratio = T // n
        ts = (np.arange(0, n) * ratio).round()[::-1].copy().astype(np.float32 if float_out else np.int64)
        return ts + c["steps_offset"]
    if sp == "trailing":
        ratio = T / n
        ts = np.round(np.arange(T, 0, -ratio)).copy().astype(np.float32 if float_out else np.int64)
        return ts - 1
    raise ValueError(f"timestep_spacing {sp}")


class DDIMScheduler(Scheduler):
    DEFAULTS = dict(COMMON, clip_sample=True, set_alpha_to_one=True, thresholding=False,
                    dynamic_thresholding_ratio=0.995, clip_sample_range=1.0, sample_max_value=1.0,
                    timestep_spacing="leading")
    init_noise_sigma = 1.0

    def __init__(self, config):
        super().__init__(config)
        self.final_alpha_cumprod = torch.tensor(1.0) if self.config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n):
        if n > self.config["num_train_timesteps"]:
            raise ValueError("more inference steps than training steps")
        self.num_inference_steps = n
        self.timesteps = torch.from_numpy(spaced_timesteps(self.config, n))

    def step(self, eps, t, sample, noise=None, eta=0.0):
        c = self.config
        prev_t = t - c["num_train_timesteps"] // self.num_inference_steps
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t = 1 - a_t
        if c["prediction_type"] == "epsilon":
            x0 = (sample - b_t ** 0.5 * eps) / a_t ** 0.5
            pred_eps = eps
        elif c["prediction_type"] == "sample":
            x0 = eps
            pred_eps = (sample - a_t ** 0.5 * x0) / b_t ** 0.5
        else:
            x0 = a_t ** 0.5 * sample - b_t ** 0.5 * eps
            pred_eps = a_t ** 0.5 * eps + b_t ** 0.5 * sample
        if c["clip_sample"]:
            x0 = x0.clamp(-c["clip_sample_range"], c["clip_sample_range"])
        variance = ((1 - a_prev) / b_t) * (1 - a_t / a_prev)
        std = eta * variance ** 0.5
        prev = a_prev ** 0.5 * x0 + (1 - a_prev - std ** 2) ** 0.5 * pred_eps
        if eta > 0:
            prev = prev + std * noise
        return prev


class PNDMScheduler(Scheduler):
    DEFAULTS = dict(COMMON, skip_prk_steps=False, set_alpha_to_one=False, timestep_spacing="leading")
    init_noise_sigma = 1.0

    def __init__(self, config):
        super().__init__(config)
        if self.config["prediction_type"] == "sample":
            raise ValueError("PNDM takes epsilon or v_prediction")
        self.final_alpha_cumprod = torch.tensor(1.0) if self.config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n):
        c = self.config
        T = c["num_train_timesteps"]
        self.num_inference_steps = n
        if c["timestep_spacing"] == "linspace":
            ts = np.linspace(0, T - 1, n).round().astype(np.int64)
        elif c["timestep_spacing"] == "leading":
            ts = (np.arange(0, n) * (T // n)).round() + c["steps_offset"]
        elif c["timestep_spacing"] == "trailing":
            ts = np.round(np.arange(T, 0, -T / n))[::-1].astype(np.int64) - 1
        else:
            raise ValueError(c["timestep_spacing"])
        if c["skip_prk_steps"]:
            self.prk_timesteps = np.array([])
            self.plms_timesteps = np.concatenate([ts[:-1], ts[-2:-1], ts[-1:]])[::-1].copy()
        else:
            prk = np.array(ts[-4:]).repeat(2) + np.tile(np.array([0, T // n // 2]), 4)
            self.prk_timesteps = prk[:-1].repeat(2)[1:-1][::-1].copy()
            self.plms_timesteps = ts[:-3][::-1].copy()
        self.timesteps = torch.from_numpy(np.concatenate([self.prk_timesteps, self.plms_timesteps]).astype(np.int64))
        self.ets, self.counter, self.cur_model_output, self.cur_sample = [], 0, 0, None

    def step(self, eps, t, sample, noise=None):
        if self.counter < len(self.prk_timesteps) and not self.config["skip_prk_steps"]:
            return self.step_prk(eps, t, sample)
        return self.step_plms(eps, t, sample)

    def step_prk(self, eps, t, sample):
        T = self.config["num_train_timesteps"]
        diff = 0 if self.counter % 2 else T // self.num_inference_steps // 2
        prev_t = t - diff
        t = self.prk_timesteps[self.counter // 4 * 4]
        if self.counter % 4 == 0:
            self.cur_model_output += 1 / 6 * eps
            self.ets.append(eps)
            self.cur_sample = sample
        elif (self.counter - 1) % 4 == 0:
            self.cur_model_output += 1 / 3 * eps
        elif (self.counter - 2) % 4 == 0:
            self.cur_model_output += 1 / 3 * eps
        else:
            eps = self.cur_model_output + 1 / 6 * eps
            self.cur_model_output = 0
        cur = self.cur_sample if self.cur_sample is not None else sample
        prev = self.prev_sample(cur, t, prev_t, eps)
        self.counter += 1
        return prev

    def step_plms(self, eps, t, sample):
        T = self.config["num_train_timesteps"]
        prev_t = t - T // self.num_inference_steps
        if self.counter != 1:
            self.ets = self.ets[-3:]
            self.ets.append(eps)
        else:
            prev_t = t
            t = t + T // self.num_inference_steps
        e = self.ets
        if len(e) == 1 and self.counter == 0:
            self.cur_sample = sample
        elif len(e) == 1 and self.counter == 1:
            eps = (eps + e[-1]) / 2
            sample = self.cur_sample
            self.cur_sample = None
        elif len(e) == 2:
            eps = (3 * e[-1] - e[-2]) / 2
        elif len(e) == 3:
            eps = (23 * e[-1] - 16 * e[-2] + 5 * e[-3]) / 12
        else:
            eps = (1 / 24) * (55 * e[-1] - 59 * e[-2] + 37 * e[-3] - 9 * e[-4])
        prev = self.prev_sample(sample, t, prev_t, eps)
        self.counter += 1
        return prev

    def prev_sample(self, sample, t, prev_t, eps):
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t, b_prev = 1 - a_t, 1 - a_prev
        if self.config["prediction_type"] == "v_prediction":
            eps = a_t ** 0.5 * eps + b_t ** 0.5 * sample
        coeff = (a_prev / a_t) ** 0.5
        denom = a_t * b_prev ** 0.5 + (a_t * b_t * a_prev) ** 0.5
        return coeff * sample - (a_prev - a_t) * eps / denom


def karras_sigmas(in_sigmas, n, rho=7.0):
    """_convert_to_karras: in_sigmas descending (numpy float32); returns float64 numpy."""
    smin, smax = in_sigmas[-1].item(), in_sigmas[0].item()
    ramp = np.linspace(0, 1, n)
    lo, hi = smin ** (1 / rho), smax ** (1 / rho)
    return (hi + ramp * (lo - hi)) ** rho


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high = low + 1
    w = np.clip((log_sigmas[low] - log_sigma) / (log_sigmas[low] - log_sigmas[high]), 0, 1)
    return ((1 - w) * low + w * high).reshape(np.shape(sigma))


class SigmaScheduler(Scheduler):
    """Euler / Euler ancestral: sigma-space, k-diffusion style input scaling."""

    def __init__(self, config):
        super().__init__(config)
        self.train_sigmas = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)

    @property
    def init_noise_sigma(self):
        m = self.sigmas.max()
        return m if self.config["timestep_spacing"] in ("linspace", "trailing") else (m ** 2 + 1) ** 0.5

    def scale_model_input(self, sample, t):
        self.init_step_index(t)
        s = self.sigmas[self.step_index]
        return sample / ((s ** 2 + 1) ** 0.5)

    def x0(self, eps, sample, sigma):
        p = self.config["prediction_type"]
        if p == "epsilon":
            return sample - sigma * eps
        if p == "v_prediction":
            return eps * (-sigma / (sigma ** 2 + 1) ** 0.5) + sample / (sigma ** 2 + 1)
        return eps

    def add_noise(self, x0, noise, t):
        return x0 + noise * self.sigmas[self.noise_index(t)]


class EulerDiscreteScheduler(SigmaScheduler):
    DEFAULTS = dict(COMMON, interpolation_type="linear", use_karras_sigmas=False, use_exponential_sigmas=False,
                    use_beta_sigmas=False, sigma_min=None, sigma_max=None, timestep_spacing="linspace",
                    timestep_type="discrete", final_sigmas_type="zero")

    def set_timesteps(self, n):
        c = self.config
        if c["use_exponential_sigmas"] or c["use_beta_sigmas"] or c["timestep_type"] != "discrete":
            raise NotImplementedError("Euler: exponential/beta sigmas, continuous timesteps")
        self.num_inference_steps = n
        ts = spaced_timesteps(c, n, float_out=True)
        sig = self.train_sigmas
        log_sigmas = np.log(sig)
        if c["interpolation_type"] == "linear":
            sig = np.interp(ts, np.arange(0, len(sig)), sig)
        elif c["interpolation_type"] == "log_linear":
            sig = torch.linspace(np.log(sig[-1]), np.log(sig[0]), n + 1).exp().numpy()
        else:
            raise ValueError(c["interpolation_type"])
        if c["use_karras_sigmas"]:
            smin = c["sigma_min"] if c["sigma_min"] is not None else sig[-1].item()
            smax = c["sigma_max"] if c["sigma_max"] is not None else sig[0].item()
            sig = karras_sigmas(np.array([smax, smin]), n)
            ts = np.array([sigma_to_t(s, log_sigmas) for s in sig])
        last = 0.0 if c["final_sigmas_type"] == "zero" else self.train_sigmas[0].item()
        self.sigmas = torch.from_numpy(np.concatenate([sig, [last]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts.astype(np.float32))
        self.step_index = None
        self.begin_index = None

    def step(self, eps, t, sample, noise=None):
        self.init_step_index(t)
        sample = sample.float()
        sigma = self.sigmas[self.step_index]
        sigma_hat = sigma * (0.0 + 1)  # s_churn = 0: gamma = 0
        x0 = self.x0(eps, sample, sigma_hat)
        derivative = (sample - x0) / sigma_hat
        dt = self.sigmas[self.step_index + 1] - sigma_hat
        self.step_index += 1
        return sample + derivative * dt


class EulerAncestralDiscreteScheduler(SigmaScheduler):
    DEFAULTS = dict(COMMON, timestep_spacing="linspace")
    stochastic = True

    def set_timesteps(self, n):
        self.num_inference_steps = n
        ts = spaced_timesteps(self.config, n, float_out=True)
        sig = np.interp(ts, np.arange(0, len(self.train_sigmas)), self.train_sigmas)
        self.sigmas = torch.from_numpy(np.concatenate([sig, [0.0]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts)
        self.step_index = None
        self.begin_index = None

    def step(self, eps, t, sample, noise=None):
        """noise: this step's draw (randn of the latent's shape); drawn at every step."""
        self.init_step_index(t)
        sigma = self.sigmas[self.step_index]
        sample = sample.float()
        x0 = self.x0(eps, sample, sigma)
        s_from, s_to = self.sigmas[self.step_index], self.sigmas[self.step_index + 1]
        s_up = (s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2) ** 0.5
        s_down = (s_to ** 2 - s_up ** 2) ** 0.5
        derivative = (sample - x0) / sigma
        prev = sample + derivative * (s_down - sigma)
        self.step_index += 1
        return prev + noise * s_up


class DPMSolverMultistepScheduler(Scheduler):
    """algorithm_type dpmsolver++ (DPM++ 2M with solver_order 2), solver_type midpoint or heun."""
    DEFAULTS = dict(COMMON, solver_order=2, thresholding=False, dynamic_thresholding_ratio=0.995,
                    sample_max_value=1.0, algorithm_type="dpmsolver++", solver_type="midpoint",
                    lower_order_final=True, euler_at_final=False, use_karras_sigmas=False,
                    use_exponential_sigmas=False, use_beta_sigmas=False, use_lu_lambdas=False,
                    use_flow_sigmas=False, final_sigmas_type="zero", lambda_min_clipped=-float("inf"),
                    variance_type=None, timestep_spacing="linspace")
    init_noise_sigma = 1.0

    def __init__(self, config):
        super().__init__(config)
        c = self.config
        if c["algorithm_type"] != "dpmsolver++" or c["solver_order"] not in (1, 2) or c["use_lu_lambdas"] \
                or c["use_exponential_sigmas"] or c["use_beta_sigmas"] or c["use_flow_sigmas"] or c["variance_type"]:
            raise NotImplementedError("DPM-Solver reference covers dpmsolver++ of order 1-2")
        self.alpha_t = torch.sqrt(self.alphas_cumprod)
        self.sigma_t = torch.sqrt(1 - self.alphas_cumprod)
        self.lambda_t = torch.log(self.alpha_t) - torch.log(self.sigma_t)

    def set_timesteps(self, n):
        c = self.config
        clipped = torch.searchsorted(torch.flip(self.lambda_t, [0]), torch.tensor(c["lambda_min_clipped"])).item()
        last_t = c["num_train_timesteps"] - clipped
        sp = c["timestep_spacing"]
        if sp == "linspace":
            ts = np.linspace(0, last_t - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif sp == "leading":
            ratio = last_t // (n + 1)
            ts = (np.arange(0, n + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64) + c["steps_offset"]
        elif sp == "trailing":
            ratio = c["num_train_timesteps"] / n
            ts = np.arange(last_t, 0, -ratio).round().copy().astype(np.int64) - 1
        else:
            raise ValueError(sp)
        sig = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        log_sigmas = np.log(sig)
        if c["use_karras_sigmas"]:
            sig = karras_sigmas(np.flip(sig).copy(), n)
            ts = np.array([sigma_to_t(s, log_sigmas) for s in sig]).round()
        else:
            sig = np.interp(ts, np.arange(0, len(sig)), sig)
        if c["final_sigmas_type"] == "sigma_min":
            last = ((1 - self.alphas_cumprod[0]) / self.alphas_cumprod[0]) ** 0.5
        elif c["final_sigmas_type"] == "zero":
            last = 0
        else:
            raise ValueError(c["final_sigmas_type"])
        self.sigmas = torch.from_numpy(np.concatenate([sig, [float(last)]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts).to(torch.int64)
        self.num_inference_steps = len(ts)
        self.model_outputs = [None] * c["solver_order"]
        self.lower_order_nums = 0
        self.step_index = None
        self.begin_index = None

    @staticmethod
    def alpha_sigma(sigma):
        alpha = 1 / ((sigma ** 2 + 1) ** 0.5)
        return alpha, sigma * alpha

    def step(self, eps, t, sample, noise=None):
        c = self.config
        self.init_step_index(t)
        i, n = self.step_index, len(self.timesteps)
        lower_final = i == n - 1 and (c["euler_at_final"] or (c["lower_order_final"] and n < 15)
                                      or c["final_sigmas_type"] == "zero")
        a_s, s_s = self.alpha_sigma(self.sigmas[i])
        p = c["prediction_type"]
        x0 = (sample - s_s * eps) / a_s if p == "epsilon" else (a_s * sample - s_s * eps if p == "v_prediction" else eps)
        self.model_outputs = self.model_outputs[1:] + [x0]
        sample = sample.float()
        a_t, s_t = self.alpha_sigma(self.sigmas[i + 1])
        lam_t, lam_s0 = torch.log(a_t) - torch.log(s_t), torch.log(a_s) - torch.log(s_s)
        h = lam_t - lam_s0
        if c["solver_order"] == 1 or self.lower_order_nums < 1 or lower_final:
            prev = (s_t / s_s) * sample - (a_t * (torch.exp(-h) - 1.0)) * x0
        else:
            a_s1, s_s1 = self.alpha_sigma(self.sigmas[i - 1])
            lam_s1 = torch.log(a_s1) - torch.log(s_s1)
            m0, m1 = self.model_outputs[-1], self.model_outputs[-2]
            r0 = (lam_s0 - lam_s1) / h
            d0, d1 = m0, (1.0 / r0) * (m0 - m1)
            if c["solver_type"] == "midpoint":
                prev = (s_t / s_s) * sample - (a_t * (torch.exp(-h) - 1.0)) * d0 - 0.5 * (a_t * (torch.exp(-h) - 1.0)) * d1
            else:
                prev = (s_t / s_s) * sample - (a_t * (torch.exp(-h) - 1.0)) * d0 + (a_t * ((torch.exp(-h) - 1.0) / h + 1.0)) * d1
        if self.lower_order_nums < c["solver_order"]:
            self.lower_order_nums += 1
        self.step_index += 1
        return prev

    def add_noise(self, x0, noise, t):
        a, s = self.alpha_sigma(self.sigmas[self.noise_index(t)])
        return a * x0 + s * noise


class LCMScheduler(Scheduler):
    DEFAULTS = dict(COMMON, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                    original_inference_steps=50, clip_sample=False, clip_sample_range=1.0, set_alpha_to_one=True,
                    thresholding=False, dynamic_thresholding_ratio=0.995, sample_max_value=1.0,
                    timestep_spacing="leading", timestep_scaling=10.0)
    init_noise_sigma = 1.0
    stochastic = True

    def __init__(self, config):
        super().__init__(config)
        self.final_alpha_cumprod = torch.tensor(1.0) if self.config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n, strength=1.0):
        c = self.config
        orig = c["original_inference_steps"]
        T = c["num_train_timesteps"]
        if orig > T or n > orig:
            raise ValueError("LCM: num_inference_steps <= original_inference_steps <= num_train_timesteps")
        k = T // orig
        origin = np.asarray(list(range(1, int(orig * strength) + 1))) * k - 1
        if len(origin) // n < 1:
            raise ValueError("LCM: too many steps for this strength")
        origin = origin[::-1].copy()
        idx = np.floor(np.linspace(0, len(origin), num=n, endpoint=False)).astype(np.int64)
        self.timesteps = torch.from_numpy(origin[idx]).to(torch.long)
        self.num_inference_steps = n
        self.step_index = None
        self.begin_index = None

    def step(self, eps, t, sample, noise=None):
        """noise: this step's draw; used on every step but the last."""
        c = self.config
        self.init_step_index(t)
        i = self.step_index
        prev_t = self.timesteps[i + 1] if i + 1 < len(self.timesteps) else t
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t, b_prev = 1 - a_t, 1 - a_prev
        scaled = t * c["timestep_scaling"]
        c_skip = 0.5 ** 2 / (scaled ** 2 + 0.5 ** 2)
        c_out = scaled / (scaled ** 2 + 0.5 ** 2) ** 0.5
        p = c["prediction_type"]
        x0 = (sample - b_t.sqrt() * eps) / a_t.sqrt() if p == "epsilon" else (
            a_t.sqrt() * sample - b_t.sqrt() * eps if p == "v_prediction" else eps)
        if c["clip_sample"]:
            x0 = x0.clamp(-c["clip_sample_range"], c["clip_sample_range"])
        denoised = c_out * x0 + c_skip * sample
        self.step_index += 1
        if i != self.num_inference_steps - 1:
            return a_prev.sqrt() * denoised + b_prev.sqrt() * noise
        return denoised


SCHEDULERS = {cls.__name__: cls for cls in (DDIMScheduler, PNDMScheduler, EulerDiscreteScheduler,
                                            EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler, LCMScheduler)}


def make_scheduler(config, class_name=None, **overrides):
    """The class named by class_name (or the config's _class_name) built from the config's keys
    (from_config), with overrides applied on top (e.g. use_karras_sigmas=True)."""
    cls = SCHEDULERS[class_name or config["_class_name"]]
    return cls(dict(config, **overrides))


# ---------------------------------------------------------------------------------------------
# Pipelines (StableDiffusionPipeline / StableDiffusionImg2ImgPipeline).
def encode_prompts(text_model, tokenizer, prompt, negative, clip_skip=None):
    ids = torch.tensor([tokenizer(negative), tokenizer(prompt)])
    emb = text_model.prompt_embeds(ids, clip_skip)
    return emb[0:1], emb[1:2]


def denoise(unet, scheduler, latents, timesteps, cond, uncond, guidance, step_noise=None, trace=None):
    """The denoising loop from the given latents over the given timesteps. step_noise[i] is the
    draw a stochastic scheduler makes at step i. trace, a list, receives (t, noise_pred, latents)."""
    cfg = guidance > 1.0
    context = torch.cat([uncond, cond]) if cfg else cond
    for i, t in enumerate(timesteps):
        inp = torch.cat([latents] * 2) if cfg else latents
        inp = scheduler.scale_model_input(inp, t)
        pred = unet(inp, t, context)
        if cfg:
            u, c = pred.chunk(2)
            pred = u + guidance * (c - u)
        latents = scheduler.step(pred, t, latents, noise=None if step_noise is None else step_noise[i][None])
        if trace is not None:
            trace.append((t, pred[0], latents[0]))
    return latents


def txt2img_latents(unet, scheduler, noise, steps, cond, uncond, guidance, step_noise=None, trace=None):
    """noise [4, h, w] as --noise-in gives it; latents = noise * init_noise_sigma."""
    scheduler.set_timesteps(steps)
    latents = noise[None].float() * scheduler.init_noise_sigma
    return denoise(unet, scheduler, latents, scheduler.timesteps, cond, uncond, guidance, step_noise, trace)


def img2img_latents(unet, vae, scheduler, image, strength, steps, cond, uncond, guidance, sample_noise, noise,
                    step_noise=None, trace=None):
    """image [1, 3, H, W] in [-1, 1]. Timesteps cut as get_timesteps does; init latents =
    scaling_factor * (mean + std * sample_noise) (latent_dist.sample), then scheduler.add_noise."""
    scheduler.set_timesteps(steps)
    init_t = min(int(steps * strength), steps)
    t_start = max(steps - init_t, 0)
    timesteps = scheduler.timesteps[t_start * scheduler.order:]
    if hasattr(scheduler, "set_begin_index") and not isinstance(scheduler, PNDMScheduler):
        scheduler.set_begin_index(t_start * scheduler.order)
    mean, logvar = vae.encode(image)
    init = vae.config["scaling_factor"] * (mean + torch.exp(0.5 * logvar) * sample_noise[None])
    latents = scheduler.add_noise(init, noise[None], timesteps[:1])
    return denoise(unet, scheduler, latents, timesteps, cond, uncond, guidance, step_noise, trace), timesteps


def decode_latents(vae, latents):
    """vae.decode(latents / scaling_factor) -> float [3, H, W] (unclamped) and uint8 [H, W, 3]
    as VaeImageProcessor.postprocess + numpy_to_pil: round(clamp(x / 2 + 0.5, 0, 1) * 255)."""
    x = vae.decode(latents / vae.config["scaling_factor"])
    img = (x / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).float().numpy()
    return x[0], (img[0] * 255).round().astype(np.uint8)


def image_to_tensor(rgb_uint8):
    """VaeImageProcessor.preprocess for an image already a multiple of 8: [H, W, 3] uint8 -> [1, 3, H, W]."""
    x = torch.from_numpy(rgb_uint8.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    return 2.0 * x - 1.0


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
