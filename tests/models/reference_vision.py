"""PyTorch references of the Hugging Face CLIP vision tower (CLIPVisionTransformer +
visual_projection) and DINOv2 (Dinov2Model, Dinov2WithRegistersModel), written for Facet's tests
from the models' published definitions. Each forward returns every hidden state as Hugging Face
numbers them (0 = embedding output) plus the final outputs. Float32 throughout."""
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "gelu": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "relu": F.relu,
}


def linear(x, w, prefix, bias=True):
    return F.linear(x, w[prefix + ".weight"], w.get(prefix + ".bias") if bias else None)


def attention(x, w, q, k, v, o, heads, mask=None):
    t, d = x.shape
    hd = d // heads
    qh = linear(x, w, q).view(t, heads, hd).transpose(0, 1)
    kh = linear(x, w, k).view(t, heads, hd).transpose(0, 1)
    vh = linear(x, w, v).view(t, heads, hd).transpose(0, 1)
    scores = (qh @ kh.transpose(1, 2)) * hd ** -0.5
    if mask is not None:
        scores = scores + mask
    out = torch.softmax(scores, dim=-1) @ vh
    return linear(out.transpose(0, 1).reshape(t, d), w, o)


def clip_vision(w, cfg, pixels):
    """w: name -> f32 tensor, cfg: vision_config (defaults filled), pixels: [3, H, W]."""
    d, p, eps = cfg["hidden_size"], cfg["patch_size"], cfg["layer_norm_eps"]
    act = ACTIVATIONS[cfg["hidden_act"]]
    pre = "vision_model."
    x = F.conv2d(pixels[None], w[pre + "embeddings.patch_embedding.weight"], stride=p)[0]
    x = x.flatten(1).transpose(0, 1)
    x = torch.cat([w[pre + "embeddings.class_embedding"][None], x]) + w[pre + "embeddings.position_embedding.weight"]
    x = F.layer_norm(x, (d,), w[pre + "pre_layrnorm.weight"], w[pre + "pre_layrnorm.bias"], eps)
    hidden = [x]
    for i in range(cfg["num_hidden_layers"]):
        l = f"{pre}encoder.layers.{i}."
        h = F.layer_norm(x, (d,), w[l + "layer_norm1.weight"], w[l + "layer_norm1.bias"], eps)
        x = x + attention(h, w, l + "self_attn.q_proj", l + "self_attn.k_proj", l + "self_attn.v_proj",
                          l + "self_attn.out_proj", cfg["num_attention_heads"])
        h = F.layer_norm(x, (d,), w[l + "layer_norm2.weight"], w[l + "layer_norm2.bias"], eps)
        x = x + linear(act(linear(h, w, l + "mlp.fc1")), w, l + "mlp.fc2")
        hidden.append(x)
    pooled = F.layer_norm(x[0], (d,), w[pre + "post_layernorm.weight"], w[pre + "post_layernorm.bias"], eps)
    out = {"hidden": hidden, "last_hidden_state": x, "pooled": pooled}
    if "visual_projection.weight" in w:
        out["embeds"] = F.linear(pooled, w["visual_projection.weight"])
    return out


def clip_text(w, cfg, ids):
    """ids: list of token ids. Hugging Face CLIPTextTransformer + text_projection."""
    d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
    act = ACTIVATIONS[cfg["hidden_act"]]
    pre = "text_model."
    t = len(ids)
    x = w[pre + "embeddings.token_embedding.weight"][torch.tensor(ids)] + w[pre + "embeddings.position_embedding.weight"][:t]
    hidden = [x]
    mask = torch.full((t, t), float("-inf")).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        l = f"{pre}encoder.layers.{i}."
        h = F.layer_norm(x, (d,), w[l + "layer_norm1.weight"], w[l + "layer_norm1.bias"], eps)
        x = x + attention(h, w, l + "self_attn.q_proj", l + "self_attn.k_proj", l + "self_attn.v_proj",
                          l + "self_attn.out_proj", cfg["num_attention_heads"], mask)
        h = F.layer_norm(x, (d,), w[l + "layer_norm2.weight"], w[l + "layer_norm2.bias"], eps)
        x = x + linear(act(linear(h, w, l + "mlp.fc1")), w, l + "mlp.fc2")
        hidden.append(x)
    last = F.layer_norm(x, (d,), w[pre + "final_layer_norm.weight"], w[pre + "final_layer_norm.bias"], eps)
    ids_t = torch.tensor(ids)
    if cfg["eos_token_id"] == 2:
        at = int(ids_t.argmax())
    else:
        at = int((ids_t == cfg["eos_token_id"]).int().argmax())
    pooled = last[at]
    return {"hidden": hidden, "last_hidden_state": last, "pooled": pooled,
            "embeds": F.linear(pooled, w["text_projection.weight"])}


def dinov2_positions(w, cfg, grid_h, grid_w, height, width):
    pos = w["embeddings.position_embeddings"][0]
    n = pos.shape[0] - 1
    if grid_h * grid_w == n and height == width:
        return pos
    side = int(math.sqrt(n))
    grid = pos[1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(grid_h, grid_w), mode="bicubic", align_corners=False,
                         antialias=cfg["model_type"] == "dinov2_with_registers")
    return torch.cat([pos[:1], grid[0].permute(1, 2, 0).reshape(grid_h * grid_w, -1)])


def dinov2(w, cfg, pixels):
    d, p, eps = cfg["hidden_size"], cfg["patch_size"], cfg["layer_norm_eps"]
    act = ACTIVATIONS[cfg["hidden_act"]]
    _, height, width = pixels.shape
    x = F.conv2d(pixels[None], w["embeddings.patch_embeddings.projection.weight"],
                 w["embeddings.patch_embeddings.projection.bias"], stride=p)[0]
    gh, gw = x.shape[1], x.shape[2]
    x = x.flatten(1).transpose(0, 1)
    x = torch.cat([w["embeddings.cls_token"][0], x]) + dinov2_positions(w, cfg, gh, gw, height, width)
    if "embeddings.register_tokens" in w:
        x = torch.cat([x[:1], w["embeddings.register_tokens"][0], x[1:]])
    hidden = [x]
    for i in range(cfg["num_hidden_layers"]):
        l = f"encoder.layer.{i}."
        h = F.layer_norm(x, (d,), w[l + "norm1.weight"], w[l + "norm1.bias"], eps)
        h = attention(h, w, l + "attention.attention.query", l + "attention.attention.key",
                      l + "attention.attention.value", l + "attention.output.dense", cfg["num_attention_heads"])
        x = x + h * w[l + "layer_scale1.lambda1"]
        h = F.layer_norm(x, (d,), w[l + "norm2.weight"], w[l + "norm2.bias"], eps)
        if cfg["use_swiglu_ffn"]:
            a, b = linear(h, w, l + "mlp.weights_in").chunk(2, dim=-1)
            h = linear(F.silu(a) * b, w, l + "mlp.weights_out")
        else:
            h = linear(act(linear(h, w, l + "mlp.fc1")), w, l + "mlp.fc2")
        x = x + h * w[l + "layer_scale2.lambda1"]
        hidden.append(x)
    last = F.layer_norm(x, (d,), w["layernorm.weight"], w["layernorm.bias"], eps)
    return {"hidden": hidden, "last_hidden_state": last, "pooled": last[0], "embeds": last[0]}


DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def save_safetensors(path, tensors, metadata=None):
    """tensors: name -> torch tensor; the layout safetensors' save_file writes (8-byte aligned header).
    metadata: extra str -> str entries for __metadata__ (besides format = pt)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        b = tensor_bytes(tensors[name])
        header[name] = {"dtype": DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = dict(metadata or {}, format="pt")
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
