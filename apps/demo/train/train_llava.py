"""Trains demo-llava (LLaVA-1.5 in the llava-hf layout) or demo-mof (Interleaved-MoF in the LLaVA
repository's layout) on the shapes world, and writes a model folder Facet loads.

  python3 apps/demo/world/generate.py --out /tmp/world --seed 0 --train 4000 --test 500 --pairs 15
  python3 apps/demo/world/generate.py --out /tmp/world-pairs --seed 1 --train 0 --test 0 --pairs 100
  nice -n 10 python3 apps/demo/train/train_llava.py --data /tmp/world --pairs /tmp/world-pairs \\
      --clip apps/demo/models/demo-clip --out /tmp/demo-llava
  ... --dino apps/demo/models/demo-dino --out /tmp/demo-mof          (Interleaved-MoF)

(the defaults are the committed models' recipe; --cache DIR keeps the frozen features between runs)

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
import re
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

    def __init__(self, cfg, widths, stats=None):
        super().__init__()
        self.lm = Llama(cfg)
        self.projectors = torch.nn.ModuleList(Projector(w, cfg["hidden_size"]) for w in widths)
        # Each tower's features are standardised (mean and std per channel over the training
        # patches) before their projector; write_folder folds this into linear_1, so the folder's
        # projector takes the raw features as LLaVA's does.
        self.stats = stats or [(torch.zeros(w), torch.ones(w)) for w in widths]

    def rows(self, feats):
        """feats: list (one per encoder) of [B, N, w] -> [B, N * len, d], interleaved c0, d0, c1, ..."""
        ys = [p((f - mu) / sd) for p, f, (mu, sd) in zip(self.projectors, feats, self.stats)]
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


def pick(world, rng, pair_share):
    """A conversation's index: uniform over images and pairs, or pairs with probability pair_share."""
    if pair_share is None or pair_share < 0 or not world.pair_items:
        return rng.randrange(len(world.train))
    if rng.random() < pair_share:
        return rng.choice(world.pair_items)
    return rng.randrange(len(world.train) - len(world.pair_items))


def answer_weights(target, power):
    """Loss weights of the target tokens: each answer (a run of targets, its </s> included) weighs
    its length ** -power in all (0: every token the same; 1: every answer the same, so a one-word
    colour counts as much as a list of boxes)."""
    valid = target != -100
    w = valid.float()
    if power:
        for row, v in zip(w, valid.tolist()):
            k = 0
            while k < len(v):
                if not v[k]:
                    k += 1
                    continue
                e = k
                while e < len(v) and v[e]:
                    e += 1
                row[k:e] = (e - k) ** -power
                k = e
    return w


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


BOX = re.compile(r"\[([0-9.]+),([0-9.]+),([0-9.]+),([0-9.]+)\]")


def box_iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


@torch.no_grad()
def locate_iou(model, tok, items, feats, image_at, rows, max_new=24):
    """Greedy answers to "Give the bounding box of X." (no cache, batched): the share whose first box
    has IoU >= 0.5 with the answer's (in fractions of the image, which is square)."""
    seqs = [data.single_turn(tok, it["question"], "", rows)[0][:-2] for it in items]  # the prompt only
    out = [list(x) for x in seqs]
    f = [x[[it["image"] for it in items]] for x in feats]
    done = [False] * len(items)
    for _ in range(max_new):
        ids, _ = batch_tensors([(x, x) for x in out], tok.pad)
        logits = model(ids, image_at, f)
        for k, x in enumerate(out):
            if not done[k]:
                t = int(logits[k, len(x) - 1].argmax())
                x.append(t)
                done[k] = t == tok.eos
        if all(done):
            break
    hits = 0
    for it, x, p in zip(items, out, seqs):
        got, want = BOX.search(tok.decode(x[len(p):])), BOX.search(it["answer"])
        hits += bool(got) and box_iou([float(v) for v in got.groups()], [float(v) for v in want.groups()]) >= 0.5
    return hits / len(items) if items else None


def val_subset(val, per_type):
    """The first per_type items of each type (the in-training check)."""
    out, seen = [], {}
    for it in val:
        if seen.get(it["type"], 0) < per_type:
            seen[it["type"]] = seen.get(it["type"], 0) + 1
            out.append(it)
    return out


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
    n_train = len(world.train) - len(world.pair_items)
    stats = [(x[:n_train].reshape(-1, x.shape[-1]).mean(0), x[:n_train].reshape(-1, x.shape[-1]).std(0))
             for x in feats] if args.standardize else None
    model = Vlm(cfg, widths, stats)
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
        picks = [pick(world, rng, args.pair_share) for _ in range(args.batch)]
        seqs = [data.conversation(tok, world.train[i], rng, rows, args.turns, args.max_positions) for i in picks]
        ids, target = batch_tensors(seqs, tok.pad)
        f = [x[[world.train[i]["image"] for i in picks]] for x in feats]
        logits = model(ids, image_at, f)
        ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), target[:, 1:].reshape(-1),
                             ignore_index=-100, reduction="none")
        w = answer_weights(target[:, 1:], args.answer_norm).reshape(-1)
        loss = (ce * w).sum() / w.sum()
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
            sub = val_subset(world.val, 60)
            ex = {k: round(v["exact"], 3) for k, v in exact_answers(model, tok, sub, feats, image_at, rows).items()}
            ex["locate_iou50"] = locate_iou(model, tok, [it for it in sub if it["type"] == "locate"][:40], feats,
                                            image_at, rows)
            print(f"eval step {step}: " + json.dumps(ex), flush=True)
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
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for k, (mu, std) in enumerate(model.stats):
        # linear_1((x - mu) / std) == linear_1'(x): W' = W / std, b' = b - W' mu.
        w = state[f"projectors.{k}.linear_1.weight"] / std
        state[f"projectors.{k}.linear_1.weight"] = w
        state[f"projectors.{k}.linear_1.bias"] = state[f"projectors.{k}.linear_1.bias"] - w @ mu
    sd = {k: v.to(dtype) for k, v in state.items()}
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
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=384)
    ap.add_argument("--standardize", type=int, default=1,
                    help="1: standardise the towers' features per channel before the projectors (folded into linear_1)")
    ap.add_argument("--answer-norm", type=float, default=0.5,
                    help="each answer's loss weighs its length ** -this (0: per token, 1: per answer)")
    ap.add_argument("--pair-share", type=float, default=0.1,
                    help="the share of conversations drawn from --pairs (negative: in proportion to their images)")
    ap.add_argument("--turns", type=int, default=6, help="questions per conversation (at most)")
    ap.add_argument("--max-positions", type=int, default=512)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f16")
    ap.add_argument("--limit", type=int, default=None, help="read at most this many images per split")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=0)
    ap.add_argument("--cache", default=None, help="a folder to keep the frozen towers' features in between runs")
    args = ap.parse_args(argv)
    train(args)


if __name__ == "__main__":
    main()
