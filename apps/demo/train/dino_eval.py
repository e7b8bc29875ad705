"""Measures demo-dino against a demo-clip and completes demo-dino's card (metrics.json "evaluation",
README.md):

  python3 apps/demo/train/dino_eval.py --data /tmp/world --dino apps/demo/models/demo-dino \\
      --clip apps/demo/models/demo-clip --facet build/bin/facet

- linear probes: per-object features (the mean of the last layer's patch tokens, before the final
  norm, over the patches whose centre lies in the object's box, or the patch holding the box
  centre), the same recipe for both models on their own preprocessing; a multinomial logistic
  regression per attribute fitted on the training split's objects, scored on the test split's:
  shape, colour, size, and orientation per oriented shape (arrows 8 ways; triangles, semicircles,
  crescents 4 ways);
- facet: `facet embed` of a few test pictures equals this PyTorch forward of the folder's weights;
- `facet mine-pairs --clip --dino` over the test split's pictures and over the MMVP pictures: how
  many CLIP-blind pairs it finds and, from the scene records, what the mined pairs differ in."""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dino_card  # noqa: E402
import dino_data  # noqa: E402
import hf_io  # noqa: E402
from clip_model import CLIPModel  # noqa: E402
from dino_model import Dinov2Model  # noqa: E402

ORIENTED = {"arrow": 8, "triangle": 4, "semicircle": 4, "crescent": 4}


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Encoder:
    """A folder's vision tower: `embeds` as Facet computes them and the last layer's tokens before
    the final norm, at the folder's own preprocessing."""

    def __init__(self, folder):
        cfg = read_json(os.path.join(folder, "config.json"))
        self.size = read_json(os.path.join(folder, "preprocessor_config.json"))["crop_size"]["height"]
        weights = {k: v.float() for k, v in hf_io.load_safetensors(os.path.join(folder, "model.safetensors")).items()}
        self.clip = cfg["model_type"] == "clip"
        if self.clip:
            self.model = CLIPModel(cfg)
            self.patch = cfg["vision_config"]["patch_size"]
        else:
            self.model = Dinov2Model(cfg)
            self.patch = cfg["patch_size"]
        missing = self.model.load_state_dict(weights, strict=False)
        vision_missing = [k for k in missing.missing_keys if not k.startswith(("text_", "logit_scale"))]
        if vision_missing or missing.unexpected_keys:
            raise ValueError(f"{folder}: missing {vision_missing}, unexpected {missing.unexpected_keys}")
        self.model.eval()

    @torch.no_grad()
    def __call__(self, u8, chunk=128):
        """(embeds [n, E], last-layer tokens before the final norm [n, 1 + N, D])."""
        embeds, tokens = [], []
        for i in range(0, len(u8), chunk):
            x = dino_data.normalize(u8[i:i + chunk])
            if self.clip:
                v = self.model.vision_model
                h = v.encoder(v.pre_layrnorm(v.embeddings(x)))
                e = self.model.visual_projection(v.post_layernorm(h[:, 0]))
            else:
                h, y = self.model(x)
                e = y[:, 0]
            embeds.append(e)
            tokens.append(h)
        return torch.cat(embeds), torch.cat(tokens)


def object_features(enc, data, split, limit=None):
    """(features [objects, D], object records with the image index) for a split."""
    records, u8 = dino_data.read_split(data, split, enc.size, limit)
    _, tokens = enc(u8)
    grid = enc.size // enc.patch
    centres = (torch.arange(grid).float() + 0.5) * enc.patch
    feats, objs = [], []
    for i, r in enumerate(records):
        s = r["scene"]
        scale, left, top, _, _ = dino_data.geometry(s["width"], s["height"], enc.size)
        patches = tokens[i, 1:].view(grid, grid, -1)
        for o in s["objects"]:
            x1, y1, x2, y2 = (o["box"][0] * scale - left, o["box"][1] * scale - top,
                              o["box"][2] * scale - left, o["box"][3] * scale - top)
            cols = ((centres >= x1) & (centres < x2)).nonzero().flatten()
            rows = ((centres >= y1) & (centres < y2)).nonzero().flatten()
            if len(cols) == 0:
                cols = torch.tensor([min(grid - 1, max(0, int((x1 + x2) / 2 // enc.patch)))])
            if len(rows) == 0:
                rows = torch.tensor([min(grid - 1, max(0, int((y1 + y2) / 2 // enc.patch)))])
            feats.append(patches[rows][:, cols].reshape(-1, patches.shape[-1]).mean(dim=0))
            objs.append(dict(o, image=i))
    return torch.stack(feats), objs


def fit_probe(x, y, classes, l2=1e-3, iters=200):
    """Multinomial logistic regression on standardised features (LBFGS, deterministic)."""
    torch.manual_seed(0)
    w = torch.zeros(x.shape[1], classes, requires_grad=True)
    b = torch.zeros(classes, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=iters, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ w + b, y) + l2 * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def probes(enc, data, train_limit):
    xtr, otr = object_features(enc, data, "train", train_limit)
    xte, ote = object_features(enc, data, "test")
    mu, sd = xtr.mean(dim=0), xtr.std(dim=0) + 1e-6
    xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
    tasks = {"shape": (lambda o: True, "shape"), "colour": (lambda o: True, "colour"),
             "size": (lambda o: True, "size")}
    for shape in ORIENTED:
        tasks[f"orientation ({shape})"] = (lambda o, s=shape: o["shape"] == s, "orientation")
    out = {}
    for name, (keep, attr) in tasks.items():
        tr = [i for i, o in enumerate(otr) if keep(o)]
        te = [i for i, o in enumerate(ote) if keep(o)]
        labels = sorted({otr[i][attr] for i in tr})
        ytr = torch.tensor([labels.index(otr[i][attr]) for i in tr])
        w, b = fit_probe(xtr[tr], ytr, len(labels))
        te = [i for i in te if ote[i][attr] in labels]
        pred = (xte[te] @ w + b).argmax(dim=1)
        yte = torch.tensor([labels.index(ote[i][attr]) for i in te])
        out[name] = {"classes": len(labels), "train_objects": len(tr), "test_objects": len(te),
                     "accuracy": round((pred == yte).float().mean().item(), 4)}
    return out


def run_facet(facet, *args):
    r = subprocess.run([facet, "--quiet", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"facet {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r.stdout


def facet_check(facet, enc, folder, data, count):
    """Largest |facet - torch| over `count` test pictures, for embeds and the pre-norm patch tokens."""
    records, u8 = dino_data.read_split(data, "test", enc.size, count)
    embeds, tokens = enc(u8)
    worst = {"embeds": 0.0, "hidden:-1 patch": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for i, r in enumerate(records):
            image = os.path.join(data, "test", r["image"])
            run_facet(facet, "embed", "--model", folder, "--image", image, "--out", f"{tmp}/e.npy")
            run_facet(facet, "embed", "--model", folder, "--image", image, "--output", "hidden:-1",
                      "--tokens", "patch", "--out", f"{tmp}/h.npy")
            e, h = np.load(f"{tmp}/e.npy"), np.load(f"{tmp}/h.npy")
            worst["embeds"] = max(worst["embeds"], float(np.abs(e.reshape(-1) - embeds[i].numpy()).max()))
            worst["hidden:-1 patch"] = max(worst["hidden:-1 patch"], float(np.abs(h - tokens[i, 1:].numpy()).max()))
    return {"images": len(records), "max_abs_diff": {k: float(f"{v:.3g}") for k, v in worst.items()}}


def differences(a, b):
    """What two scenes differ in, attribute by attribute, comparing the objects as multisets."""
    keys = {"count": lambda o: 1, "shape": lambda o: o["shape"], "colour": lambda o: o["colour"],
            "size": lambda o: o["size"], "position": lambda o: o["cell"],
            "orientation": lambda o: (o["shape"], o["orientation"])}
    out = set()
    for name, key in keys.items():
        if collections.Counter(map(key, a["objects"])) != collections.Counter(map(key, b["objects"])):
            out.add(name)
    if "shape" in out:
        out.discard("orientation")  # orientation counts only between the same shapes
    return out


def mine(facet, clip, dino, images, records_by_image, clip_t, dino_t, tmp):
    out = os.path.join(tmp, "pairs.csv")
    t = time.time()
    line = run_facet(facet, "mine-pairs", "--clip", clip, "--dino", dino, "--images", images, "--out", out,
                     "--clip-threshold", str(clip_t), "--dino-threshold", str(dino_t), "--batch", "32",
                     "--cache", os.path.join(tmp, "cache-" + os.path.basename(images.rstrip("/"))))
    seconds = time.time() - t
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    diff = collections.Counter()
    only = collections.Counter()
    pairs = []
    for r in rows:
        a, b = records_by_image[os.path.abspath(r["image_a"])], records_by_image[os.path.abspath(r["image_b"])]
        d = differences(a, b)
        diff.update(d)
        only[" + ".join(sorted(d)) or "nothing"] += 1
        pairs.append((os.path.basename(r["image_a"]), os.path.basename(r["image_b"]), float(r["clip_cosine"]),
                      float(r["dino_cosine"]), sorted(d)))
    n = len(rows)
    return {"clip_threshold": clip_t, "dino_threshold": dino_t, "pairs": n, "summary": line.strip(),
            "seconds": round(seconds, 1),
            "differ_in": {k: round(v / n, 3) for k, v in sorted(diff.items())} if n else {},
            "exactly": [list(kv) for kv in only.most_common(8)], "examples": pairs[:5], "examples_all": pairs}


def mining(facet, clip, dino, data, clip_t, dino_t):
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        by_image = {}
        with open(os.path.join(data, "test", "records.jsonl"), encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                by_image[os.path.abspath(os.path.join(data, "test", r["image"]))] = r["scene"]
        out["test"] = mine(facet, clip, dino, os.path.join(data, "test", "images"), by_image, clip_t, dino_t, tmp)
        folder = os.path.join(data, "mmvp", "MMVP Images")
        by_image, partner = {}, {}
        with open(os.path.join(data, "mmvp", "pairs.jsonl"), encoding="utf-8") as f:
            for line in f:
                p = json.loads(line)
                for k, s in zip(p["index"], p["scenes"]):
                    by_image[os.path.abspath(os.path.join(folder, f"{k}.png"))] = dict(s, pattern=p["pattern"])
        m = mine(facet, clip, dino, folder, by_image, clip_t, dino_t, tmp)
        designed = collections.Counter()
        for a, b, _, _, _ in m["examples_all"]:
            ia, ib = sorted(int(x.split(".")[0]) for x in (a, b))
            if ia % 2 == 1 and ib == ia + 1:
                designed[by_image[os.path.abspath(os.path.join(folder, a))]["pattern"]] += 1
        total = collections.Counter(s["pattern"] for s in by_image.values())
        m["designed_pairs"] = {k: [designed[k], total[k] // 2] for k in sorted(total)}
        m["designed"] = ("Of the generator's own pairs (mined / all) per pattern: "
                         + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in m["designed_pairs"].items()) + ".")
        out["mmvp"] = m
    for m in out.values():
        del m["examples_all"]
    return out


def cosine_stats(clip_enc, dino_enc, data):
    """Distribution of pairwise cosines of `embeds` on the test split (PyTorch), to set thresholds."""
    out = {}
    for name, enc in (("clip", clip_enc), ("dino", dino_enc)):
        _, u8 = dino_data.read_split(data, "test", enc.size)
        e = F.normalize(enc(u8)[0], dim=-1)
        c = (e @ e.T)[torch.triu(torch.ones(len(e), len(e), dtype=torch.bool), 1)]
        out[name] = {q: round(torch.quantile(c, q).item(), 4) for q in (0.01, 0.1, 0.5, 0.9, 0.99, 0.999)}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--dino", required=True, help="the demo-dino folder (its metrics.json and card are updated)")
    ap.add_argument("--clip", required=True, action="append",
                    help="a demo-clip folder to compare with (repeatable: probes for each, mining with the first)")
    ap.add_argument("--facet", default=None, help="the facet binary (skip the facet checks without it)")
    ap.add_argument("--probe-train", type=int, default=2000, help="training-split pictures the probes are fitted on")
    ap.add_argument("--clip-threshold", type=float, default=0.95)
    ap.add_argument("--dino-threshold", type=float, default=0.6)
    ap.add_argument("--check-images", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-write", action="store_true", help="print, leave the folder as it is")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dino = Encoder(args.dino)
    clips = []
    for folder in args.clip:
        vision = read_json(os.path.join(folder, "config.json"))["vision_config"]
        clips.append({"folder": os.path.normpath(folder),
                      "vision": {k: vision[k] for k in ("image_size", "patch_size", "hidden_size", "num_hidden_layers")},
                      "probes": probes(Encoder(folder), args.data, args.probe_train)})
    ev = {"command": "python3 apps/demo/train/dino_eval.py " + " ".join(argv if argv is not None else sys.argv[1:]),
          "probe_train_images": args.probe_train, "probes": probes(dino, args.data, args.probe_train), "clips": clips,
          "cosines": cosine_stats(Encoder(args.clip[0]), dino, args.data)}
    print(json.dumps(ev, indent=1), flush=True)
    if args.facet:
        ev["facet_vs_torch"] = facet_check(args.facet, dino, args.dino, args.data, args.check_images)
        ev["mine_pairs"] = mining(args.facet, args.clip[0], args.dino, args.data, args.clip_threshold, args.dino_threshold)
        ev["mine_pairs"]["clip_folder"] = os.path.normpath(args.clip[0])
        print(json.dumps({k: ev[k] for k in ("facet_vs_torch", "mine_pairs")}, indent=1))
    if not args.no_write:
        path = os.path.join(args.dino, "metrics.json")
        info = read_json(path)
        info["evaluation"] = ev
        hf_io.write_json(path, info)
        dino_card.write(args.dino)


if __name__ == "__main__":
    main()
