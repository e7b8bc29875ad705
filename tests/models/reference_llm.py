"""PyTorch reference of the Hugging Face LLaMA decoder (LlamaForCausalLM: RMSNorm, rotary
embeddings in the rotate-half convention, grouped-query attention, SwiGLU MLP, tied or untied
head; Qwen2's q/k/v biases; Mistral's and Qwen2's sliding-window attention, where a query at
position i sees keys j with i - window < j <= i), written for Facet's tests from the published
model definition. Float32, full recompute
(no cache), so it also checks Facet's KV cache."""
import math

import torch
import torch.nn.functional as F


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def inv_freq(cfg):
    hd = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    rs = cfg.get("rope_scaling")
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        if kind == "linear":
            inv = inv / rs["factor"]
        elif kind == "llama3":
            factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
            old = rs["original_max_position_embeddings"]
            low_wavelen, high_wavelen = old / low, old / high
            wavelen = 2 * math.pi / inv
            scaled = torch.where(wavelen > low_wavelen, inv / factor, inv)
            smooth = (old / wavelen - low) / (high - low)
            smoothed = (1 - smooth) * scaled / factor + smooth * scaled
            medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
            inv = torch.where(medium, smoothed, scaled)
    return inv


def layer_window(cfg, i):
    """The sliding window of layer i (0: none): Mistral's in every layer, Qwen2's only with
    use_sliding_window and from max_window_layers on."""
    w = cfg.get("sliding_window")
    if not w or cfg.get("model_type") == "llama":
        return 0
    if cfg.get("model_type") == "qwen2":
        return w if cfg.get("use_sliding_window") and i >= cfg.get("max_window_layers", 0) else 0
    return w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(w, cfg, ids):
    """ids: list of token ids (positions 0..T-1). Returns logits [T, vocab]."""
    return forward_embeds(w, cfg, w["model.embed_tokens.weight"][torch.tensor(ids)])


def forward_embeds(w, cfg, x):
    """x: input embeddings [T, hidden] (positions 0..T-1). Returns logits [T, vocab]."""
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", heads)
    hd = cfg.get("head_dim", d // heads)
    eps = cfg.get("rms_norm_eps", 1e-6)
    t = x.shape[0]
    freqs = torch.arange(t).float()[:, None] * inv_freq(cfg)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    causal = torch.full((t, t), float("-inf")).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        mask = causal
        if layer_window(cfg, i):
            mask = causal + torch.full((t, t), float("-inf")).tril(-layer_window(cfg, i))
        h = rms_norm(x, w[l + "input_layernorm.weight"], eps)
        q = F.linear(h, w[l + "self_attn.q_proj.weight"], w.get(l + "self_attn.q_proj.bias")).view(t, heads, hd)
        k = F.linear(h, w[l + "self_attn.k_proj.weight"], w.get(l + "self_attn.k_proj.bias")).view(t, kv, hd)
        v = F.linear(h, w[l + "self_attn.v_proj.weight"], w.get(l + "self_attn.v_proj.bias")).view(t, kv, hd)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(heads // kv, dim=1)
        v = v.repeat_interleave(heads // kv, dim=1)
        scores = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd) + mask
        a = torch.einsum("hqk,khd->qhd", scores.softmax(-1), v).reshape(t, heads * hd)
        x = x + F.linear(a, w[l + "self_attn.o_proj.weight"])
        h = rms_norm(x, w[l + "post_attention_layernorm.weight"], eps)
        gate = F.linear(h, w[l + "mlp.gate_proj.weight"])
        up = F.linear(h, w[l + "mlp.up_proj.weight"])
        x = x + F.linear(F.silu(gate) * up, w[l + "mlp.down_proj.weight"])
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head.t()


def greedy(w, cfg, ids, n):
    """n greedy tokens after ids, and the margin between the best and second-best logit at each step."""
    ids, out, margins = list(ids), [], []
    for _ in range(n):
        logits = forward(w, cfg, ids)[-1]
        top = torch.topk(logits, 2)
        out.append(int(top.indices[0]))
        margins.append(float(top.values[0] - top.values[1]))
        ids.append(out[-1])
    return out, margins
