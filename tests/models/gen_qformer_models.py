#!/usr/bin/python3
"""Writes two tiny random Q-Former checkpoints and the goldens of a PyTorch reference written from
the BLIP-2 / InstructBLIP papers and Hugging Face's documented module layout:

  qformer_tiny       BLIP-2 layout (Blip2ForConditionalGeneration's adapter part): query_tokens,
                     qformer.layernorm, qformer.encoder.layer.i.* (cross-attention every 2nd layer
                     from layer 0), language_projection. 6 queries of width 24 over the 32-wide CLIP
                     tower of clip_tiny, projected to the 16-wide language model of mof_tiny.
                     Goldens of docs/pipelines/qformer.toml (goldens/llava/qformer).
  instructblip_qformer_tiny   InstructBLIP layout: qformer.embeddings.{word_embeddings,
                     position_embeddings, layernorm} and the text FFN (intermediate, output) in
                     every layer, and qformer_tokenizer/ (the 64-token WordPiece tokenizer of
                     tests/data/tokenizers/qformer_tiny). Goldens of the adapter alone, with and
                     without an instruction, and of docs/pipelines/instructblip.toml, whose
                     instruction ids come from transformers.js (gen_instruction_ids.mjs, run from
                     here) (goldens/llava/instructblip).

Run after gen_llava_models.py (it reuses its prompts and language model):
  NODE_PATH=<folder with node_modules/@lenml/tokenizers> /usr/bin/python3 gen_qformer_models.py"""
import json
import os
import subprocess

import numpy as np
import torch
import torch.nn.functional as F

import gen_images
import gen_llava_models as gl
import gen_vision_models as gv
import reference_preprocess as pre
import reference_vision as ref

HERE = gl.HERE
QF = {"hidden_size": 24, "num_hidden_layers": 3, "num_attention_heads": 2, "intermediate_size": 40,
      "hidden_act": "gelu", "layer_norm_eps": 1e-12, "cross_attention_frequency": 2, "encoder_hidden_size": 32,
      "vocab_size": 64, "max_position_embeddings": 16, "model_type": "blip_2_qformer"}
N_QUERY = 6


def qformer_weights(seed, instruct):
    r, w = gv.Init(seed), {}
    d, inter, enc = QF["hidden_size"], QF["intermediate_size"], QF["encoder_hidden_size"]
    w["query_tokens"] = r.normal(1, N_QUERY, d, std=1.0)
    if instruct:
        e = "qformer.embeddings."
        w[e + "word_embeddings.weight"] = r.normal(QF["vocab_size"], d, std=1.0)
        w[e + "position_embeddings.weight"] = r.normal(QF["max_position_embeddings"], d, std=0.5)
        r.norm(w, e + "layernorm", d)
    else:
        r.norm(w, "qformer.layernorm", d)
    for i in range(QF["num_hidden_layers"]):
        l = f"qformer.encoder.layer.{i}."
        blocks = ["attention."] + (["crossattention."] if i % QF["cross_attention_frequency"] == 0 else [])
        for b in blocks:
            width = enc if b == "crossattention." else d
            r.linear(w, l + b + "attention.query", d, d)
            r.linear(w, l + b + "attention.key", d, width)
            r.linear(w, l + b + "attention.value", d, width)
            r.linear(w, l + b + "output.dense", d, d)
            r.norm(w, l + b + "output.LayerNorm", d)
        for inter_name, out_name in [("intermediate_query", "output_query")] + ([("intermediate", "output")] if instruct else []):
            r.linear(w, l + inter_name + ".dense", inter, d)
            r.linear(w, l + out_name + ".dense", d, inter)
            r.norm(w, l + out_name + ".LayerNorm", d)
    r.linear(w, "language_projection", gl.TEXT["hidden_size"], d)
    return w


def qformer_forward(w, features, ids=None):
    """The Q-Former and language projection on one image's features [N, Dv]; ids: an instruction."""
    eps, heads = QF["layer_norm_eps"], QF["num_attention_heads"]

    def ln(x, name):
        return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], eps)

    def lin(x, name):
        return F.linear(x, w[name + ".weight"], w[name + ".bias"])

    def attend(p, x, ctx):
        q = lin(x, p + "attention.query").reshape(x.shape[0], heads, -1).transpose(0, 1)
        k = lin(ctx, p + "attention.key").reshape(ctx.shape[0], heads, -1).transpose(0, 1)
        v = lin(ctx, p + "attention.value").reshape(ctx.shape[0], heads, -1).transpose(0, 1)
        attn = (q @ k.transpose(1, 2) / q.shape[-1] ** 0.5).softmax(dim=-1)
        o = (attn @ v).transpose(0, 1).flatten(-2)
        return ln(lin(o, p + "output.dense") + x, p + "output.LayerNorm")

    def ffn(inter, out, x):
        return ln(lin(F.gelu(lin(x, inter + ".dense")), out + ".dense") + x, out + ".LayerNorm")

    x = w["query_tokens"][0]
    nq = x.shape[0]
    if ids is not None:
        e = "qformer.embeddings."
        t = w[e + "word_embeddings.weight"][ids] + w[e + "position_embeddings.weight"][: len(ids)]
        x = ln(torch.cat([x, t]), e + "layernorm")
    elif "qformer.embeddings.layernorm.weight" in w:
        x = ln(x, "qformer.embeddings.layernorm")
    else:
        x = ln(x, "qformer.layernorm")
    for i in range(QF["num_hidden_layers"]):
        l = f"qformer.encoder.layer.{i}."
        x = attend(l + "attention.", x, x)
        xq = x[:nq]
        if l + "crossattention.attention.query.weight" in w:
            xq = attend(l + "crossattention.", xq, features)
        xq = ffn(l + "intermediate_query", l + "output_query", xq)
        x = torch.cat([xq, ffn(l + "intermediate", l + "output", x[nq:])]) if x.shape[0] > nq else xq
    return lin(x[:nq], "language_projection")


def write_folder(name, w, model_type):
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    stored = {k: v.half() for k, v in w.items()}
    ref.save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    qc = {k: v for k, v in QF.items() if k not in ("vocab_size", "max_position_embeddings") or model_type == "instructblip"}
    gv.write_json(os.path.join(folder, "config.json"), {"model_type": model_type, "num_query_tokens": N_QUERY,
                                                        "qformer_config": qc, "text_config": {"model_type": "llama"}})
    return {k: v.float() for k, v in stored.items()}


def main():
    torch.set_grad_enabled(False)
    with open(os.path.join(gl.GOLDENS, "prompt_ids.json")) as f:
        prompt_ids = json.load(f)
    clip_cfg = dict(gv.CLIP_VISION_DEFAULTS, hidden_size=32, intermediate_size=72, num_attention_heads=4,
                    num_hidden_layers=3, image_size=30, patch_size=6, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                    projection_dim=16, model_type="clip_vision_model")
    clip_w = gv.clip_vision_weights(clip_cfg, 11, 16)  # clip_tiny
    lm_w = {k: v.half().float() for k, v in gl.llm_weights(25, untied=True).items()}  # mof_tiny's
    processor = gen_images.PROCESSORS["clip"]

    def tower(image):
        pixels = torch.from_numpy(pre.preprocess(pre.load_rgb(os.path.join(gen_images.IMAGES, image)), processor))
        return ref.clip_vision(clip_w, clip_cfg, pixels)["hidden"][-2]  # all 26 tokens

    blip2 = write_folder("qformer_tiny", qformer_weights(61, instruct=False), "blip-2")
    gl.write_cases("qformer", lambda image: qformer_forward(blip2, tower(image)), lm_w, prompt_ids)

    instruct = write_folder("instructblip_qformer_tiny", qformer_weights(62, instruct=True), "instructblip")
    out = os.path.join(gl.GOLDENS, "instructblip")
    os.makedirs(out, exist_ok=True)
    features = gv.Init(63).normal(26, QF["encoder_hidden_size"], std=1.0)
    ids = torch.tensor([1, 7, 12, 33, 5, 2], dtype=torch.int64)  # [CLS]-like ... [SEP]-like
    np.save(os.path.join(out, "features.npy"), features.numpy().astype(np.float32))
    np.save(os.path.join(out, "ids.npy"), ids.numpy().astype(np.int32))
    np.save(os.path.join(out, "y_text.npy"), qformer_forward(instruct, features, ids).numpy().astype(np.float32))
    np.save(os.path.join(out, "y_plain.npy"), qformer_forward(instruct, features).numpy().astype(np.float32))
    print("instructblip: adapter goldens with and without a 6-token instruction")

    # The pipeline: each prompt's instruction through the Q-Former's own tokenizer.
    tok_dir = os.path.join(HERE, "instructblip_qformer_tiny", "qformer_tokenizer")
    os.makedirs(tok_dir, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        if not os.path.lexists(os.path.join(tok_dir, f)):
            os.symlink(os.path.join("..", "..", "..", "data", "tokenizers", "qformer_tiny", f), os.path.join(tok_dir, f))
    instructions = [{"name": n, "instruction": m.replace("<image>", "").strip()} for n, _, m in gl.PROMPTS]
    gv.write_json(os.path.join(out, "instructions.json"), instructions)
    subprocess.run(["node", os.path.join(HERE, "gen_instruction_ids.mjs")], check=True)
    with open(os.path.join(out, "instruction_ids.json")) as f:
        instruction_ids = json.load(f)
    gl.write_cases("instructblip",
                   lambda image, ids: qformer_forward(instruct, tower(image), torch.tensor(ids, dtype=torch.int64)),
                   lm_w, prompt_ids, instruction_ids)


if __name__ == "__main__":
    main()
