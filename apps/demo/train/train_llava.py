"""Trains demo-llava (LLaVA-1.5 in the llava-hf layout) or demo-mof (Interleaved-MoF in the LLaVA
repository's layout) on the shapes world, and writes a model folder Facet loads.

  python3 apps/demo/world/generate.py --out /tmp/world --seed 0 --train 4000 --test 500 --pairs 15
  python3 apps/demo/world/generate.py --out /tmp/world-pairs --seed 1 --train 0 --test 0 --pairs 100
  nice -n 10 python3 apps/demo/train/train_llava.py --data /tmp/world --pairs /tmp/world-pairs \\
      --clip apps/demo/models/demo-clip --out /tmp/demo-llava
  ... --dino apps/demo/models/demo-dino --out /tmp/demo-mof          (Interleaved-MoF)

The vision towers are frozen: their features (CLIP's penultimate layer, DINOv2's last layer before
the final norm, patch tokens only) are computed once. The projector(s) and a small LLaMA are
trained from scratch on multi-turn conversations in LLaVA-1.5's template
("<s>USER: <image>\\nQ1 ASSISTANT: A1</s>USER: Q2 ASSISTANT: A2</s>..."), the loss on the answers:
the world's questions, a caption ("Describe the image."), grounded answers with Shikra boxes, and
multiple-choice questions "Q (a) X (b) Y" answered "(a)" (from MMVP-style pairs of another seed,
and from the questions with a distractor)."""
import argparse
import csv
import json
import math
import os
import platform
import random
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import hf_io  # noqa: E402
import llava_data as data  # noqa: E402
from llava_model import Llama, Projector  # noqa: E402
import train_clip  # noqa: E402
from llava_tokenizer import Tokenizer, learn_merges  # noqa: E402


def lm_config(vocab, hidden, layers, heads, ff, max_pos):
    return {"hidden_size": hidden, "intermediate_size": ff, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": heads, "head_dim": hidden // heads,
            "vocab_size": vocab, "max_position_embeddings": max_pos, "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0, "hidden_act": "silu", "model_type": "llama", "tie_word_embeddings": True,
            "bos_token_id": 1, "eos_token_id": 2}


class Vlm(torch.nn.Module):
    """Projector(s) and the language model; image rows replace the <image> token's place."""

    def __init__(self, cfg, widths):
        super().__init__()
        self.lm = Llama(cfg)
        self.projectors = torch.nn.ModuleList(Projector(w, cfg["hidden_size"]) for w in widths)

    def rows(self, feats):
        """feats: list (one per encoder) of [B, N, w] -> [B, N * len, d], interleaved c0, d0, c1, ..."""
        ys = [p(f) for p, f in zip(self.projectors, feats)]
        if len(ys) == 1:
            return ys[0]
        b, n, d = ys[0].shape
        return torch.stack(ys, dim=2).reshape(b, n * len(ys), d)

    def forward(self, ids, image_at, feats):
        """ids [B, T] with a placeholder at image_at .. image_at + rows; -> logits [B, T, vocab]."""
        x = self.lm.model.embed_tokens(ids)
        r = self.rows(feats)
        x = torch.cat([x[:, :image_at], r, x[:, image_at + r.shape[1]:]], dim=1)
        return self.lm(x)


def batch_tensors(seqs, pad):
    n = max(len(s[0]) for s in seqs)
    ids = torch.full((len(seqs), n), pad, dtype=torch.long)
    target = torch.full((len(seqs), n), -100, dtype=torch.long)
    for k, (i, t) in enumerate(seqs):
        ids[k, :len(i)] = torch.tensor(i)
        target[k, :len(t)] = torch.tensor(t)
    return ids, target


@torch.no_grad()
def exact_answers(model, tok, items, feats, image_at, rows, chunk=64):
    """Greedy exact-match per item type, by teacher forcing: greedy decoding gives the answer (and
    then </s>) exactly when every answer token is the argmax after its prefix."""
    out = {}
    for s in range(0, len(items), chunk):
        part = items[s:s + chunk]
        seqs = [data.single_turn(tok, it["question"], it["answer"], rows) for it in part]
        ids, target = batch_tensors(seqs, tok.pad)
        f = [x[[it["image"] for it in part]] for x in feats]
        logits = model(ids, image_at, f)
        pred = logits[:, :-1].argmax(-1)
        tgt = target[:, 1:]
        ok = ((pred == tgt) | (tgt == -100)).all(dim=1)
        for it, good in zip(part, ok.tolist()):
            n, c = out.get(it["type"], (0, 0))
            out[it["type"]] = (n + 1, c + good)
    return {k: {"n": n, "exact": c / n} for k, (n, c) in sorted(out.items())}


def train(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    t0 = time.time()
    world = data.World(args, rng)
    tok = Tokenizer(learn_merges(world.texts()))
    feats, widths = world.features()
    rows = sum(f.shape[1] for f in feats)
    image_at = len(tok.encode("USER: ", bos=True))  # <s> ▁USER: ▁ then the image rows
    cfg = lm_config(len(tok.vocab), args.hidden, args.layers, args.heads, args.ff, args.max_positions)
    model = Vlm(cfg, widths)
    opt = train_clip.adamw(model, args.lr)
    warmup = max(1, min(50, args.steps // 10))
    total = [args.steps]
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total[0]) / total[0]))))
    load_s = time.time() - t0
    print(f"{len(world.train)} conversations, {len(tok.vocab)} tokens, {rows} image rows, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters, {load_s:.0f}s loading", flush=True)
    t1, c1 = time.time(), time.process_time()
    log = []
    step = 0
    while step < total[0]:
        if args.minutes and step == 20:
            # A time budget: the number of steps that fit, from the speed of the first 20.
            total[0] = max(21, int(args.minutes * 60 / ((time.time() - t1) / 20)))
            args.steps = total[0]
            print(f"{total[0]} steps fit in {args.minutes} minutes", flush=True)
        picks = [rng.randrange(len(world.train)) for _ in range(args.batch)]
        seqs = [data.conversation(tok, world.train[i], rng, rows, args.turns, args.max_positions) for i in picks]
        ids, target = batch_tensors(seqs, tok.pad)
        f = [x[[world.train[i]["image"] for i in picks]] for x in feats]
        logits = model(ids, image_at, f)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), target[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        if step % args.log_every == 1 or step == total[0]:
            log.append({"step": step, "loss": round(loss.item(), 4), "seconds": round(time.time() - t1, 1)})
            print(f"step {step} loss {loss.item():.4f} len {ids.shape[1]} {time.time() - t1:.0f}s", flush=True)
        if args.eval_every and step % args.eval_every == 0:
            model.eval()
            print(json.dumps(exact_answers(model, tok, world.val[:400], feats, image_at, rows)), flush=True)
            model.train()
    timing = {"load_seconds": round(load_s, 1), "train_seconds": round(time.time() - t1, 1),
              "train_cpu_seconds": round(time.process_time() - c1, 1), "log": log}
    model.eval()
    metrics = {"teacher_forced_exact": exact_answers(model, tok, world.val, feats, image_at, rows)}
    print(json.dumps(metrics), flush=True)
    write_folder(args, model, cfg, tok, world, timing, metrics)


def write_folder(args, model, cfg, tok, world, timing, metrics):
    os.makedirs(args.out, exist_ok=True)
    dtype = torch.float16 if args.dtype == "f16" else torch.float32
    sd = {k: v.detach().to(dtype) for k, v in model.state_dict().items()}
    lm = {k[len("lm."):]: v for k, v in sd.items() if k.startswith("lm.")}
    tensors = {}
    if args.dino:
        # The LLaVA repository's layout: the LLaMA's own names, model.mm_projector.0/2 and
        # model.dino_mm_projector.0/2 (mlp2x_gelu); the towers are separate folders.
        tensors.update(lm)
        for k, prefix in enumerate(("model.mm_projector.", "model.dino_mm_projector.")):
            for i, name in ((0, "linear_1"), (2, "linear_2")):
                for part in ("weight", "bias"):
                    tensors[f"{prefix}{i}.{part}"] = sd[f"projectors.{k}.{name}.{part}"]
        config = dict(cfg, architectures=["LlavaLlamaForCausalLM"], model_type="llava_llama",
                      torch_dtype="float16" if args.dtype == "f16" else "float32", transformers_version="4.31.0",
                      mm_vision_tower="../demo-clip", mm_dino_tower="../demo-dino",
                      mm_hidden_size=world.widths[0], mm_projector_type="mlp2x_gelu", mm_vision_select_layer=-2,
                      mm_vision_select_feature="patch", image_aspect_ratio="pad", mm_use_im_start_end=False,
                      mm_use_im_patch_token=False, use_mm_proj=True)
        with open(os.path.join(args.out, "pipeline.toml"), "w", encoding="utf-8", newline="\n") as f:
            f.write(data.MOF_PIPELINE)
        tokenizer = tok.tokenizer_json(image_token=False)
    else:
        tensors.update({"language_model." + k: v for k, v in lm.items()})
        for k, v in world.clip_tower.items():
            tensors["vision_tower." + k] = v.to(dtype)
        for name in ("linear_1", "linear_2"):
            for part in ("weight", "bias"):
                tensors[f"multi_modal_projector.{name}.{part}"] = sd[f"projectors.0.{name}.{part}"]
        config = {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "ignore_index": -100,
                  "image_token_index": tok.image, "projector_hidden_act": "gelu", "vision_feature_layer": -2,
                  "vision_feature_select_strategy": "default", "image_seq_length": world.rows,
                  "tie_word_embeddings": True, "pad_token_id": tok.pad,
                  "torch_dtype": "float16" if args.dtype == "f16" else "float32", "transformers_version": "4.44.2",
                  "text_config": cfg, "vision_config": world.clip_vision_config}
        hf_io.write_json(os.path.join(args.out, "preprocessor_config.json"), world.clip_processor)
        tokenizer = tok.tokenizer_json()
    hf_io.save_safetensors(os.path.join(args.out, "model.safetensors"), tensors)
    hf_io.write_json(os.path.join(args.out, "config.json"), config)
    hf_io.write_json(os.path.join(args.out, "generation_config.json"),
                     {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": tok.pad if not args.dino else 0})
    hf_io.write_json(os.path.join(args.out, "tokenizer_config.json"), tok.tokenizer_config(pad=not args.dino))
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    params = sum(p.numel() for p in model.parameters())
    info = {"args": {k: v for k, v in vars(args).items() if k not in ("out",)}, "parameters_trained": params,
            "machine": platform.machine(), "torch": torch.__version__, "data": world.manifest_info(),
            **timing, "metrics": metrics}
    hf_io.write_json(os.path.join(args.out, "training.json"), info)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a world written by apps/demo/world/generate.py (train and test)")
    ap.add_argument("--pairs", default=None, help="a world of another seed whose MMVP pairs become training questions")
    ap.add_argument("--clip", required=True, help="the demo-clip folder (its vision tower, frozen)")
    ap.add_argument("--dino", default=None, help="a demo-dino folder: train Interleaved-MoF (demo-mof)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--minutes", type=float, default=0, help="instead of --steps: as many steps as fit in this time")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=384)
    ap.add_argument("--turns", type=int, default=8, help="questions per conversation (at most)")
    ap.add_argument("--max-positions", type=int, default=512)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f16")
    ap.add_argument("--limit", type=int, default=None, help="read at most this many images per split")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=0)
    args = ap.parse_args(argv)
    train(args)


if __name__ == "__main__":
    main()
