"""CLIP tokenizer and CLIPTextModel of the Stable Diffusion reference (sd_ref.py)."""
import json
import os
import re
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

from sd_ref_layers import *  # noqa: F401,F403

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
        self.embeddings.token_embedding = nn.Embedding(c["vocab_size"], d, device=device())
        self.embeddings.position_embedding = nn.Embedding(c["max_position_embeddings"], d, device=device())
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
