"""Trains demo-clip, a small CLIP (vision + text towers) on the shapes world's captions, and writes
it as a Hugging Face CLIPModel folder Facet loads (config.json, model.safetensors,
preprocessor_config.json, tokenizer.json, tokenizer_config.json) with a model card README.md.

  python3 apps/demo/world/generate.py --out /tmp/world
  nice -n 10 python3 apps/demo/train/train_clip.py --data /tmp/world --out /tmp/demo-clip [--steps 1500]

Evaluation (written to the card and metrics.json): zero-shot colour and shape on the test split's
one-object images (the 56 prompts "a photo of a <colour> <shape>."), split into colour/shape
combinations seen in training and the held-out ones, and MMVP-VLM pair accuracy per pattern
computed as `facet mmvp-vlm` does."""
import argparse
import csv
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import hf_io  # noqa: E402
from bpe import Tokenizer, learn_merges  # noqa: E402
from clip_model import CLIPModel, max_logit_scale  # noqa: E402
from world import language, scene as world_scene  # noqa: E402

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
IMAGE = 64  # the world's 64-96 px images are resized to this: an 8 x 8 grid of 8 px patches


def make_config(vocab_size, bos, eos, width=64, layers=3):
    vision = {"hidden_size": width, "intermediate_size": 4 * width, "num_attention_heads": 4,
              "num_hidden_layers": layers,
              "image_size": IMAGE, "patch_size": 8, "num_channels": 3, "hidden_act": "quick_gelu",
              "layer_norm_eps": 1e-5, "projection_dim": 64, "model_type": "clip_vision_model"}
    text = {"hidden_size": 64, "intermediate_size": 256, "num_attention_heads": 4, "num_hidden_layers": 2,
            "max_position_embeddings": 48, "vocab_size": vocab_size, "hidden_act": "quick_gelu",
            "layer_norm_eps": 1e-5, "projection_dim": 64, "bos_token_id": bos, "eos_token_id": eos,
            "pad_token_id": eos, "model_type": "clip_text_model"}
    return {"architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 2.6592,
            "model_type": "clip", "projection_dim": 64, "text_config": text, "torch_dtype": "float32",
            "transformers_version": "4.44.2", "vision_config": vision}


PROCESSOR = {"crop_size": {"height": IMAGE, "width": IMAGE}, "do_center_crop": True, "do_convert_rgb": True,
             "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN,
             "image_processor_type": "CLIPImageProcessor", "image_std": STD, "resample": 3,
             "rescale_factor": 1 / 255, "size": {"shortest_edge": IMAGE}}


def load_pixels(path, image=IMAGE):
    """uint8 [3, image, image]: CLIPImageProcessor's resize (shortest edge, bicubic) and center crop."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    if w <= h:
        size = (image, int(image * h / w))
    else:
        size = (int(image * w / h), image)
    im = im.resize(size, resample=Image.BICUBIC)
    left, top = (im.width - image) // 2, (im.height - image) // 2
    im = im.crop((left, top, left + image, top + image))
    return torch.from_numpy(np.asarray(im, dtype=np.uint8).transpose(2, 0, 1).copy())


def normalize(u8):
    x = u8.float() / 255
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def read_split(data, split, limit=None):
    records = []
    with open(os.path.join(data, split, "records.jsonl"), encoding="utf-8") as f:
        for line in f:
            records.append(json.loads(line))
            if limit and len(records) >= limit:
                break
    pixels = torch.stack([load_pixels(os.path.join(data, split, r["image"])) for r in records])
    return records, pixels


def world_tokenizer():
    words = language.vocabulary()
    return Tokenizer(learn_merges(words))


class Texts:
    """Token ids of caption strings, cached, padded into a batch with the end token."""

    def __init__(self, tok, max_len):
        self.tok, self.max_len, self.cache = tok, max_len, {}

    def ids(self, text):
        if text not in self.cache:
            ids = self.tok.encode(text)
            if len(ids) > self.max_len:
                raise ValueError(f"'{text}' has {len(ids)} tokens, more than {self.max_len}")
            self.cache[text] = ids
        return self.cache[text]

    def batch(self, texts):
        rows = [self.ids(t) for t in texts]
        n = max(len(r) for r in rows)
        return torch.tensor([r + [self.tok.eos] * (n - len(r)) for r in rows])


def caption_variant(rng, record):
    """A caption of a random template, sometimes with CLIP's prompt words around it."""
    text = record["captions"][rng.choice(language.CAPTION_TEMPLATES)]
    if rng.random() < 0.5:
        text = "a photo of " + text
    if rng.random() < 0.5:
        text += "."
    return text


def adamw(model, lr):
    """AdamW with weight decay on the matrices other than embeddings."""
    named = list(model.named_parameters())
    decay = [p for n, p in named if p.dim() >= 2 and "embed" not in n]
    other = [p for n, p in named if not (p.dim() >= 2 and "embed" not in n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98))


def sample_batch(rng, records, by_colour, n, same_colour):
    """Random images; a `same_colour` share of them one-object images of one colour (a random one),
    so that colour alone cannot tell their captions apart and shape has to."""
    k = int(round(n * same_colour)) if by_colour else 0
    pool = by_colour[rng.choice(sorted(by_colour))] if k else []
    return [rng.choice(pool) for _ in range(k)] + [rng.randrange(len(records)) for _ in range(n - k)]


def patch_shape_labels(records, vision):
    """[N, patches] shape index + 1 of the object covering at least a quarter of each patch of the
    preprocessed image (the world's images are square, so the resize is a plain scale), else 0."""
    n, p = vision["image_size"], vision["patch_size"]
    g = n // p
    out = torch.zeros(len(records), g * g, dtype=torch.long)
    for k, r in enumerate(records):
        scale = n / r["scene"]["width"]
        for o in r["scene"]["objects"]:
            x1, y1, x2, y2 = (c * scale for c in o["box"])
            for gy in range(g):
                for gx in range(g):
                    ix = min(x2, (gx + 1) * p) - max(x1, gx * p)
                    iy = min(y2, (gy + 1) * p) - max(y1, gy * p)
                    if ix > 0 and iy > 0 and ix * iy >= p * p / 4:
                        out[k, gy * g + gx] = world_scene.SHAPES.index(o["shape"]) + 1
    return out


def contrastive_loss(logits, same):
    """Symmetric cross-entropy where every caption equal to an image's own counts as its match
    (a batch often holds two images captioned 'a red circle')."""
    target = same.float() / same.float().sum(dim=1, keepdim=True)
    li = -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    lt = -(target * F.log_softmax(logits.T, dim=1)).sum(dim=1).mean()
    return (li + lt) / 2


@torch.no_grad()
def embed_images(model, pixels, chunk=256):
    out = [F.normalize(model.image_embeds(normalize(pixels[i:i + chunk])), dim=-1) for i in range(0, len(pixels), chunk)]
    return torch.cat(out)


@torch.no_grad()
def embed_texts(model, texts, strings):
    return F.normalize(model.text_embeds(texts.batch(strings)), dim=-1)


@torch.no_grad()
def zero_shot(model, texts, records, pixels, held_out):
    """Colour, shape and joint accuracy on one-object images over all colour x shape prompts."""
    combos = [(c, s) for c in sorted(world_scene.COLOURS) for s in world_scene.SHAPES]
    prompts = [f"a photo of {language.a(c + ' ' + s)}." for c, s in combos]
    t = embed_texts(model, texts, prompts)
    keep = [i for i, r in enumerate(records) if len(r["scene"]["objects"]) == 1]
    if not keep:
        return {}
    img = embed_images(model, pixels[keep])
    pred = (img @ t.T).argmax(dim=1).tolist()
    held = {tuple(h) for h in held_out}
    groups = {"seen": [0, 0, 0, 0], "held_out": [0, 0, 0, 0]}
    for k, i in enumerate(keep):
        o = records[i]["scene"]["objects"][0]
        c, s = combos[pred[k]]
        g = groups["held_out" if (o["colour"], o["shape"]) in held else "seen"]
        g[0] += 1
        g[1] += c == o["colour"]
        g[2] += s == o["shape"]
        g[3] += (c, s) == (o["colour"], o["shape"])
    out = {}
    for name, (n, cc, sc, jc) in groups.items():
        if n:
            out[name] = {"images": n, "colour": cc / n, "shape": sc / n, "colour_and_shape": jc / n}
    return out


@torch.no_grad()
def mmvp_vlm(model, texts, data):
    """Pair accuracy per pattern, as apps/facet/mmvp_vlm.cpp scores it: for each statement the
    softmax over the pair's two images (logit scale applied); a pair is right when statement 1
    prefers image 1 and statement 2 prefers image 2."""
    folder = os.path.join(data, "mmvp_vlm")
    path = os.path.join(folder, "Questions.csv")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    scale = model.logit_scale.exp().item()
    result = {}
    for r1, r2 in zip(rows[0::2], rows[1::2]):
        ims = torch.stack([load_pixels(os.path.join(folder, "MLLM_VLM Images", r["Type"], r["Question ID"] + ".jpg"))
                           for r in (r1, r2)])
        i = embed_images(model, ims)
        t = embed_texts(model, texts, ["a photo of " + r1["Statement"], "a photo of " + r2["Statement"]])
        p = torch.softmax(scale * (i @ t.T), dim=0)  # column s: statement s over the two images
        right = p[0, 0].item() > 0.5 and p[0, 1].item() <= 0.5
        n, c = result.get(r1["Type"], (0, 0))
        result[r1["Type"]] = (n + 1, c + right)
    return {k: {"pairs": n, "accuracy": c / n} for k, (n, c) in sorted(result.items())}


def train(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    t0 = time.time()
    with open(os.path.join(args.data, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    records, pixels = read_split(args.data, "train", args.limit)
    test_records, test_pixels = read_split(args.data, "test", args.limit)
    tok = world_tokenizer()
    config = make_config(len(tok.vocab), tok.bos, tok.eos, args.width, args.layers)
    texts = Texts(tok, config["text_config"]["max_position_embeddings"])
    model = CLIPModel(config)
    opt = adamw(model, args.lr)
    warmup = max(1, min(100, args.steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    # The auxiliary patch loss: each patch token of the last layer classifies the shape that covers
    # it (or background); its head is discarded.
    shape_labels = patch_shape_labels(records, config["vision_config"])
    shape_head = torch.nn.Linear(args.width, len(world_scene.SHAPES) + 1)
    shape_weight = torch.tensor([0.2] + [1.0] * len(world_scene.SHAPES))
    if args.patch_shapes:
        opt.add_param_group({"params": list(shape_head.parameters()), "weight_decay": 0.0})
    by_colour = {}
    for i, r in enumerate(records):
        if len(r["scene"]["objects"]) == 1:
            by_colour.setdefault(r["scene"]["objects"][0]["colour"], []).append(i)
    load_s = time.time() - t0
    t1 = time.time()
    log = []
    for step in range(args.steps):
        idx = sample_batch(rng, records, by_colour, min(args.batch, len(records)), args.same_colour)
        caps = [caption_variant(rng, records[i]) for i in idx]
        # Two images match the same caption only when their captions of that template are equal.
        keys = [c.removeprefix("a photo of ").removesuffix(".") for c in caps]
        same = torch.tensor([[a == b for b in keys] for a in keys])
        v = model.vision_model
        hidden = v.encoder(v.pre_layrnorm(v.embeddings(normalize(pixels[idx]))))
        img = F.normalize(model.visual_projection(v.post_layernorm(hidden[:, 0])), dim=-1)
        txt = F.normalize(model.text_embeds(texts.batch(caps)), dim=-1)
        loss = contrastive_loss(model.logit_scale.exp() * img @ txt.T, same)
        if args.patch_shapes:
            shape_logits = shape_head(hidden[:, 1:]).flatten(0, 1)
            loss = loss + args.patch_shapes * F.cross_entropy(shape_logits, shape_labels[idx].flatten(),
                                                              weight=shape_weight)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, max_logit_scale())
        if step % args.log_every == 0 or step == args.steps - 1:
            log.append({"step": step, "loss": round(loss.item(), 4), "seconds": round(time.time() - t1, 1)})
            print(f"step {step} loss {loss.item():.4f} scale {model.logit_scale.exp().item():.1f} "
                  f"{time.time() - t1:.0f}s", flush=True)
        if args.eval_every and step % args.eval_every == args.eval_every - 1:
            model.eval()
            z = zero_shot(model, texts, test_records, test_pixels, manifest.get("held_out", [])).get("seen", {})
            model.train()
            print(f"step {step} zero-shot seen: colour {z.get('colour', 0):.3f} shape {z.get('shape', 0):.3f}", flush=True)
    train_s = time.time() - t1
    model.eval()
    metrics = {"zero_shot": zero_shot(model, texts, test_records, test_pixels, manifest.get("held_out", [])),
               "mmvp_vlm": mmvp_vlm(model, texts, args.data)}
    write_folder(args, model, config, tok, metrics, manifest, len(records),
                 {"load_seconds": round(load_s, 1), "train_seconds": round(train_s, 1), "log": log})
    return metrics


def write_folder(args, model, config, tok, metrics, manifest, n_train, timing):
    os.makedirs(args.out, exist_ok=True)
    dtype = torch.float16 if args.dtype == "f16" else torch.float32
    config = dict(config, torch_dtype="float16" if args.dtype == "f16" else "float32")
    tensors = {k: v.detach().to(dtype) for k, v in model.state_dict().items()}
    hf_io.save_safetensors(os.path.join(args.out, "model.safetensors"), tensors)
    hf_io.write_json(os.path.join(args.out, "config.json"), config)
    hf_io.write_json(os.path.join(args.out, "preprocessor_config.json"), PROCESSOR)
    hf_io.write_json(os.path.join(args.out, "tokenizer_config.json"), tok.tokenizer_config())
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(tok.tokenizer_json(), f, ensure_ascii=False)
    params = sum(p.numel() for p in model.parameters())
    info = {"steps": args.steps, "batch": args.batch, "lr": args.lr, "seed": args.seed, "threads": args.threads,
            "train_images": n_train, "data": {k: manifest[k] for k in ("seed", "train", "test", "version")},
            "parameters": params, "dtype": args.dtype, "machine": platform.machine(), "torch": torch.__version__,
            "same_colour": args.same_colour, "patch_shapes": args.patch_shapes, **timing, "metrics": metrics}
    hf_io.write_json(os.path.join(args.out, "metrics.json"), info)
    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(model_card(info, config))


def model_card(info, config):
    v, t = config["vision_config"], config["text_config"]
    lines = [
        "# demo-clip", "",
        "A small CLIP (Hugging Face `CLIPModel` layout) trained from scratch on Facet's shapes world",
        "(apps/demo/world): contrastive image-caption training on rendered scenes of one to four shapes.",
        "It exists to run Facet's CLIP paths (`facet classify`, `facet embed`, `facet mmvp-vlm`) out of the",
        "box and to show, in miniature, the CLIP-blindness of \"Eyes Wide Shut?\" (arXiv 2401.06209).", "",
        "## Architecture", "",
        f"- vision: ViT {v['image_size']}x{v['image_size']} px, patch {v['patch_size']}, width {v['hidden_size']}, "
        f"{v['num_hidden_layers']} layers, {v['num_attention_heads']} heads, MLP {v['intermediate_size']}",
        f"- text: width {t['hidden_size']}, {t['num_hidden_layers']} layers, {t['num_attention_heads']} heads, "
        f"{t['max_position_embeddings']} positions, vocabulary {t['vocab_size']} (byte-level BPE, every world word one token)",
        f"- projection {config['projection_dim']}; {info['parameters']:,} parameters stored as {info['dtype']}", "",
        "## Training", "",
        f"- data: shapes world version {info['data']['version']}, seed {info['data']['seed']}, "
        f"{info['train_images']} training images (captions of four templates, half with \"a photo of\")",
        f"- {info['steps']} steps of batch {info['batch']}, AdamW lr {info['lr']} (warm-up, cosine), seed {info['seed']}",
        f"- batches: {100 * info.get('same_colour', 0):.0f}% one-object images of one random colour (so that colour "
        "alone cannot tell their captions apart), the rest random",
        f"- an auxiliary loss (weight {info.get('patch_shapes', 0)}): a linear head on the last layer's patch tokens "
        "classifies the shape covering each patch (or background), from the scene records; the head is not part of "
        "the model. Nothing trains orientation, position or size beyond what the captions say.",
        f"- {info['train_seconds']} s of training on {info['threads']} CPU thread ({info['machine']}, torch {info['torch']}, "
        "OpenBLAS; the 2-core machine shared with other training jobs), "
        f"{info['load_seconds']} s loading", "",
        "## Evaluation", "",
        "Zero-shot on the test split's one-object images, prompts \"a photo of a <colour> <shape>.\" over all",
        "8 x 7 combinations (held out: colour/shape combinations never drawn in training):", "",
        "| images | n | colour | shape | both |", "| --- | --- | --- | --- | --- |"]
    for name, z in info["metrics"]["zero_shot"].items():
        lines.append(f"| {name} | {z['images']} | {100 * z['colour']:.1f}% | {100 * z['shape']:.1f}% | "
                     f"{100 * z['colour_and_shape']:.1f}% |")
    lines += ["", "MMVP-VLM-style pairs of the world (pair accuracy: both statements must pick their own image;",
              "random guessing scores 25%, a model blind to the pattern that prefers one image for both 0%):", "",
              "| pattern | pairs | accuracy |", "| --- | --- | --- |"]
    for name, m in info["metrics"]["mmvp_vlm"].items():
        lines.append(f"| {name} | {m['pairs']} | {100 * m['accuracy']:.1f}% |")
    lines += ["", "Numbers as measured by train_clip.py at the end of training; metrics.json holds them and the loss log.",
              "This is a toy: it knows only the world's words and flat-coloured shapes on white.", ""]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a folder written by apps/demo/world/generate.py")
    ap.add_argument("--out", required=True, help="the model folder to write")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a loaded machine)")
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    ap.add_argument("--same-colour", type=float, default=0.5,
                    help="share of each batch drawn from the images holding one random colour")
    ap.add_argument("--patch-shapes", type=float, default=1.0,
                    help="weight of the auxiliary loss: each patch token classifies the shape covering it")
    ap.add_argument("--width", type=int, default=64, help="vision tower width (MLP 4x, 4 heads)")
    ap.add_argument("--layers", type=int, default=3, help="vision tower layers")
    ap.add_argument("--limit", type=int, default=None, help="read at most this many images per split")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=0, help="print zero-shot accuracy every this many steps")
    args = ap.parse_args(argv)
    metrics = train(args)
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
