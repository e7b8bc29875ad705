#!/usr/bin/python3
"""Writes a tiny random LLaMA in the Hugging Face LlamaForCausalLM folder layout (config.json,
generation_config.json, model.safetensors in f16, and the tokenizer files of
tests/data/tokenizers/mistral), plus goldens of the PyTorch reference in reference_llm.py:
last-position logits of each prompt and 16-token greedy continuations with their top-2 margins.
Then the variants of the family, each with its goldens (same prompts and tokenizer):
  qwen2_tiny    Qwen2: q/k/v biases, untied head, rope_theta 1e6, bf16 weights (the embedding
                table too), use_sliding_window with a window of 6 from layer 1 on (max_window_layers)
  llama3_tiny   LLaMA-3 rope scaling (factor 8, low/high frequency factors 1/4, original context
                32, so the head's frequencies fall in all three bands), rope_theta 5e5, f32 weights
  mistral_tiny  Mistral: sliding_window 5 in every layer, f16 weights
Prompt ids come from tests/data/tokenizers/mistral/expected.json (transformers.js's tokenizer).
Run with Debian's /usr/bin/python3 from this folder."""
import json
import os
import shutil

import numpy as np
import torch

import reference_llm as ref
from reference_vision import save_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "data", "tokenizers", "mistral")
PROMPTS = ["Hello world", "The year 2024 had 366 days; 1234567890 and 3.14159 and -42.", "a photo of a cat."]
N_GREEDY = 16


def prompt_ids(text):
    with open(os.path.join(TOKENIZER, "expected.json")) as f:
        for case in json.load(f):
            if case["text"] == text:
                return case["ids"]
    raise KeyError(text)


def weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    n = lambda *s, std=1.0, mean=0.0: torch.randn(*s, generator=g) * std + mean
    d, ff, heads = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"]
    kv, hd = cfg["num_key_value_heads"], cfg["head_dim"]
    w = {"model.embed_tokens.weight": n(cfg["vocab_size"], d, std=0.1), "model.norm.weight": n(d, std=0.1, mean=1.0)}
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        w[l + "input_layernorm.weight"] = n(d, std=0.1, mean=1.0)
        w[l + "post_attention_layernorm.weight"] = n(d, std=0.1, mean=1.0)
        w[l + "self_attn.q_proj.weight"] = n(heads * hd, d, std=d ** -0.5)
        w[l + "self_attn.k_proj.weight"] = n(kv * hd, d, std=d ** -0.5)
        w[l + "self_attn.v_proj.weight"] = n(kv * hd, d, std=d ** -0.5)
        w[l + "self_attn.o_proj.weight"] = n(d, heads * hd, std=(heads * hd) ** -0.5)
        w[l + "mlp.gate_proj.weight"] = n(ff, d, std=d ** -0.5)
        w[l + "mlp.up_proj.weight"] = n(ff, d, std=d ** -0.5)
        w[l + "mlp.down_proj.weight"] = n(d, ff, std=ff ** -0.5)
        if cfg.get("model_type") == "qwen2":
            for proj, rows in (("q", heads * hd), ("k", kv * hd), ("v", kv * hd)):
                w[l + f"self_attn.{proj}_proj.bias"] = n(rows, std=0.5)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = n(cfg["vocab_size"], d, std=d ** -0.5)
    return w


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


BASE = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 48, "intermediate_size": 96,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 12,
        "vocab_size": 14923, "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
        "torch_dtype": "float16", "transformers_version": "4.44.2"}

VARIANTS = {
    "llama_tiny": (dict(BASE), 7),
    "qwen2_tiny": (dict(BASE, architectures=["Qwen2ForCausalLM"], model_type="qwen2", rope_theta=1e6, rms_norm_eps=1e-6,
                        tie_word_embeddings=False, torch_dtype="bfloat16", use_sliding_window=True, sliding_window=6,
                        max_window_layers=1), 31),
    "llama3_tiny": (dict(BASE, rope_theta=500000.0, torch_dtype="float32",
                         rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                       "high_freq_factor": 4.0, "original_max_position_embeddings": 32}), 32),
    "mistral_tiny": (dict(BASE, architectures=["MistralForCausalLM"], model_type="mistral", sliding_window=5), 33),
}
STORAGE = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def make_model(name):
    cfg, seed = VARIANTS[name]
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), cfg)
    write_json(os.path.join(folder, "generation_config.json"), {"bos_token_id": 1, "eos_token_id": 2})
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(TOKENIZER, f), os.path.join(folder, f))
    stored = {k: v.to(STORAGE[cfg["torch_dtype"]]) for k, v in weights(cfg, seed).items()}
    save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    w = {k: v.float() for k, v in stored.items()}
    out = os.path.join(HERE, "goldens", name)
    os.makedirs(out, exist_ok=True)
    cases = []
    for k, text in enumerate(PROMPTS):
        ids = prompt_ids(text)
        logits = ref.forward(w, cfg, ids)[-1]
        np.save(os.path.join(out, f"prompt{k}.logits.npy"), logits.numpy().astype(np.float32))
        tokens, margins = ref.greedy(w, cfg, ids, N_GREEDY)
        cases.append({"text": text, "ids": ids, "logits": f"prompt{k}.logits.npy", "greedy": tokens,
                      "min_margin": min(margins)})
        print(f"{name} prompt {k}: {len(ids)} ids, greedy {tokens}, smallest top-2 margin {min(margins):.4f}")
    write_json(os.path.join(out, "cases.json"), cases)


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    for name in VARIANTS:
        make_model(name)
