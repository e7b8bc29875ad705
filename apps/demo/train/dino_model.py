"""A DINOv2 ViT as torch modules whose state_dict names and config keys are those of transformers'
Dinov2Model (what Facet's plugins/encoder_dinov2 loads), batched for training, with the masked
input iBOT uses: masked patch tokens are replaced by embeddings.mask_token before the position
embeddings are added. Pre-LayerNorm layers with layer scale, exact-erf GELU MLP, final layernorm.
Only the trained grid is supported (no position interpolation): the demo world is 64 px, patch 8."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_config(width=64, layers=4, heads=4, image=64, patch=8):
    return {"architectures": ["Dinov2Model"], "attention_probs_dropout_prob": 0.0, "drop_path_rate": 0.0,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "hidden_size": width, "image_size": image,
            "initializer_range": 0.02, "layer_norm_eps": 1e-6, "layerscale_value": 1.0, "mlp_ratio": 4,
            "model_type": "dinov2", "num_attention_heads": heads, "num_channels": 3, "num_hidden_layers": layers,
            "patch_size": patch, "qkv_bias": True, "torch_dtype": "float32", "transformers_version": "4.44.2",
            "use_swiglu_ffn": False}


class Linear(nn.Linear):
    """nn.Linear computed as a 1 x 1 convolution over a batch of tokens: Debian's torch uses the
    reference BLAS for matrix products (about 1 GFLOP/s) but oneDNN for convolutions (several times
    faster, forward and backward). Same parameters, same state_dict names, same numbers."""

    def forward(self, x):
        shape = x.shape
        y = F.conv2d(x.reshape(-1, shape[-1], 1, 1), self.weight[:, :, None, None], self.bias)
        return y.reshape(*shape[:-1], self.out_features)


class PatchEmbeddings(nn.Module):
    def __init__(self, d, p):
        super().__init__()
        self.projection = nn.Conv2d(3, d, p, stride=p)


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, p = cfg["hidden_size"], cfg["patch_size"]
        n = (cfg["image_size"] // p) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.mask_token = nn.Parameter(torch.zeros(1, d))
        self.position_embeddings = nn.Parameter(torch.randn(1, n + 1, d) * 0.02)
        self.patch_embeddings = PatchEmbeddings(d, p)

    def forward(self, pixels, mask=None):
        """pixels [B, 3, H, W]; mask bool [B, N] (True: replace that patch by mask_token)."""
        x = self.patch_embeddings.projection(pixels).flatten(2).transpose(1, 2)
        if mask is not None:
            x = torch.where(mask[..., None], self.mask_token.to(x.dtype)[None], x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        return x + self.position_embeddings


class SelfAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.query, self.key, self.value = Linear(d, d), Linear(d, d), Linear(d, d)


class Output(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.dense = Linear(d, d)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.attention = SelfAttention(d)
        self.output = Output(d)

    def forward(self, x):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        a = self.attention
        q, k, v = split(a.query(x)), split(a.key(x)), split(a.value(x))
        w = torch.softmax(q @ k.transpose(-1, -2) * (d // self.heads) ** -0.5, dim=-1)
        return self.output.dense((w @ v).transpose(1, 2).reshape(b, t, d))


class LayerScale(nn.Module):
    def __init__(self, d, value):
        super().__init__()
        self.lambda1 = nn.Parameter(torch.full((d,), float(value)))


class Mlp(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.fc1, self.fc2 = Linear(d, inner), Linear(inner, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.attention = Attention(d, cfg["num_attention_heads"])
        self.layer_scale1 = LayerScale(d, cfg["layerscale_value"])
        self.norm2 = nn.LayerNorm(d, eps=eps)
        self.mlp = Mlp(d, d * cfg["mlp_ratio"])
        self.layer_scale2 = LayerScale(d, cfg["layerscale_value"])

    def forward(self, x):
        x = x + self.layer_scale1.lambda1 * self.attention(self.norm1(x))
        return x + self.layer_scale2.lambda1 * self.mlp(self.norm2(x))


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))


class Dinov2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.encoder = Encoder(cfg)
        self.layernorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])
        for name, m in self.named_modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, pixels, mask=None):
        """(last hidden state before the final norm, after it), both [B, 1 + N, D]."""
        x = self.embeddings(pixels, mask)
        for layer in self.encoder.layer:
            x = layer(x)
        return x, self.layernorm(x)
