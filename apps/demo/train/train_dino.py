"""Trains demo-dino, a small DINOv2-layout ViT (64 px, patch 8: an 8 x 8 grid, the grid of demo-clip v2),
without captions, by self-distillation on the shapes world's training pictures, and writes it as a
Hugging Face Dinov2Model folder Facet loads (config.json, model.safetensors, preprocessor_config.json)
with metrics.json and a model card README.md.

  python3 apps/demo/world/generate.py --out /tmp/world
  nice -n 10 python3 apps/demo/train/train_dino.py --data /tmp/world --out /tmp/demo-dino

The objective mixes three self-supervised terms (no labels, no captions):

- DINO on the class token: an EMA teacher sees a clean view of a picture, the student the same
  picture (the first half of each batch with random patches replaced by mask_token); the
  student's class-token distribution over K prototypes follows the teacher's (centered, sharpened);
- KoLeo (DINOv2's spreading term) on the final-normed class tokens of the unmasked half, which
  keeps `embeds` from collapsing while the DINO head finds its prototypes;
- pixel prediction: a linear head predicts from every patch token its 3 x 3 patch neighbourhood
  (or, with --targets patch, its own patch), masked patches weighted up.

The heads are thrown away; only the encoder is saved. Views differ only by a shift of at most
--shift pixels (white fill) and masking: no flips, rotations, crops or colour changes, so
orientation, position and colour all stay things the encoder must tell apart.

Afterwards dino_eval.py measures linear probes and `facet mine-pairs` and completes the card."""
import argparse
import json
import math
import os
import platform
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dino_card  # noqa: E402
import dino_data  # noqa: E402
import hf_io  # noqa: E402
from dino_model import Dinov2Model, Linear, make_config  # noqa: E402


class ProjectionHead(nn.Module):
    """DINO's head: MLP, L2-normalised bottleneck, weight-normalised prototypes (no bias)."""

    def __init__(self, d, hidden, bottleneck, k):
        super().__init__()
        self.mlp = nn.Sequential(Linear(d, hidden), nn.GELU(), Linear(hidden, bottleneck))
        self.last = nn.utils.weight_norm(Linear(bottleneck, k, bias=False))
        self.last.weight_g.data.fill_(1)
        self.last.weight_g.requires_grad = False

    def forward(self, x):
        return self.last(F.normalize(self.mlp(x), dim=-1))


class Student(nn.Module):
    def __init__(self, cfg, args):
        super().__init__()
        d, p = cfg["hidden_size"], cfg["patch_size"]
        self.backbone = Dinov2Model(cfg)
        self.cls_head = ProjectionHead(d, args.head_hidden, 64, args.prototypes)
        self.pixel_head = Linear(d, 3 * 9 * p * p // 4 if args.targets == "neighbourhood" else 3 + 3 * p * p)

    def forward(self, pixels, mask=None):
        _, y = self.backbone(pixels, mask)
        return y, self.cls_head(y[:, 0])


def patchify(x, p):
    """[B, 3, H, W] -> [B, N, 3 * p * p] in row-major patch order."""
    b, c, h, w = x.shape
    return x.view(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5).reshape(b, (h // p) * (w // p), c * p * p)


def pixel_targets(x, p):
    """Per patch: its mean colour (3) and its pixels normalised by the patch's own mean and standard
    deviation (MAE's norm_pix_loss, 3 * p * p): the second half is the patch's shape, edges and
    stroke directions, independent of its colour; the first keeps the colour."""
    patches = patchify(x, p)
    colour = patches.view(*patches.shape[:2], 3, p * p).mean(dim=-1)
    mu, sd = patches.mean(dim=-1, keepdim=True), patches.std(dim=-1, keepdim=True)
    return torch.cat([colour, (patches - mu) / (sd + 1e-2)], dim=-1)


def neighbourhood_targets(x, p):
    """Per patch: the 3 x 3 patches around it (white beyond the picture), average-pooled 2 x 2, as
    [B, N, 3 * 9 * p * p / 4]: every token must describe its surroundings, the part of the shape
    around it, not only its own pixels."""
    white = ((1 - torch.tensor(dino_data.MEAN)) / torch.tensor(dino_data.STD)).view(1, 3, 1, 1)
    padded = F.pad(x - white, (p, p, p, p)) + white
    small = F.avg_pool2d(padded, 2)
    q = p // 2
    windows = F.unfold(small, kernel_size=3 * q, stride=q)  # [B, 3 * 9q^2, N]
    return windows.transpose(1, 2)


def shifted(u8, rng, shift):
    """Every picture moved by up to `shift` pixels in x and y, the uncovered border white."""
    if shift == 0:
        return u8.clone()
    out = torch.full_like(u8, 255)
    h, w = u8.shape[-2:]
    for i in range(len(u8)):
        dx, dy = rng.randint(-shift, shift), rng.randint(-shift, shift)
        out[i, :, max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)] = \
            u8[i, :, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    return out


def random_masks(b, n, lo, hi, gen):
    """bool [B, N]: each picture a random share in [lo, hi] of its patches masked."""
    ratio = lo + (hi - lo) * torch.rand(b, 1, generator=gen)
    scores = torch.rand(b, n, generator=gen)
    rank = scores.argsort(dim=1).argsort(dim=1).float()
    return rank < (ratio * n).round()


def koleo(x, eps=1e-8):
    """KoLeo (DINOv2's spreading regulariser): minus the mean log distance of each L2-normalised
    feature to its nearest neighbour in the batch."""
    x = F.normalize(x, dim=-1)
    d = (2 - 2 * x @ x.T).clamp(min=0) + 4 * torch.eye(len(x))
    # eps under the square root: a picture drawn twice into a batch gives distance 0, whose square
    # root has an infinite gradient (it turned a run to NaN).
    return -torch.log((d.min(dim=1).values + eps).sqrt()).mean()


def soft_ce(student_logits, teacher_probs, temp):
    return -(teacher_probs * F.log_softmax(student_logits / temp, dim=-1)).sum(dim=-1)


def train(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    manifest = dino_data.read_manifest(args.data)
    _, pixels = dino_data.read_split(args.data, "train", args.image, args.limit)
    cfg = make_config(args.width, args.layers, args.heads, args.image, args.patch)
    p, n = cfg["patch_size"], (cfg["image_size"] // cfg["patch_size"]) ** 2
    student = Student(cfg, args)
    teacher = Student(cfg, args)
    teacher.load_state_dict(student.state_dict())
    for q in teacher.parameters():
        q.requires_grad = False
    params = [q for q in student.parameters() if q.requires_grad]
    decay = [q for q in params if q.dim() >= 2]
    other = [q for q in params if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98))
    warmup = max(1, min(200, args.steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    center = torch.zeros(args.prototypes)
    load_s = time.time() - t0
    t1, c1 = time.time(), time.process_time()
    log = []
    for step in range(args.steps):
        idx = [rng.randrange(len(pixels)) for _ in range(min(args.batch, len(pixels)))]
        teacher_view = dino_data.normalize(shifted(pixels[idx], rng, args.shift))
        student_view = dino_data.normalize(shifted(pixels[idx], rng, args.shift))
        # The first half of the batch is masked, the second half is not: KoLeo spreads the class
        # tokens of unmasked pictures, so they cannot differ by their masks, only by their content.
        mask = random_masks(len(idx), n, args.mask_min, args.mask_max, gen)
        mask[len(idx) // 2:] = False
        with torch.no_grad():
            _, t_cls = teacher(teacher_view)
            t_prob = F.softmax((t_cls - center) / args.teacher_temp, dim=-1)
        y, s_cls = student(student_view, mask)
        # DINO: the student's masked, shifted view against the teacher's clean view.
        loss_cls = soft_ce(s_cls, t_prob, args.student_temp).mean()
        # Pixels of every patch of the student's view from its patch tokens, masked ones weighted up.
        target = (neighbourhood_targets if args.targets == "neighbourhood" else pixel_targets)(student_view, p)
        err = ((student.pixel_head(y[:, 1:]) - target) ** 2).mean(dim=-1)
        weight = 1 + (args.masked_weight - 1) * mask.float()  # visible patches count too
        loss_pix = ((err * weight).sum(dim=1) / weight.sum(dim=1)).mean()
        # KoLeo on the class token as `embeds` gives it (final norm): neighbours pushed apart.
        loss_koleo = koleo(y[len(idx) // 2:, 0])
        loss = loss_cls + args.pixel_weight * loss_pix + args.koleo_weight * loss_koleo
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss is {loss.item()} at step {step}")
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 3.0)
        opt.step()
        sched.step()
        with torch.no_grad():
            mom = 1 - (1 - args.ema) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
            for qs, qt in zip(student.parameters(), teacher.parameters()):
                qt.mul_(mom).add_(qs.detach(), alpha=1 - mom)
            center.mul_(0.9).add_(t_cls.mean(dim=0), alpha=0.1)
        if step % args.log_every == 0 or step == args.steps - 1:
            with torch.no_grad():
                ent = -(t_prob * t_prob.clamp(min=1e-12).log()).sum(-1).mean().item()
                used = t_prob.argmax(dim=-1).unique().numel()
            row = {"step": step, "loss": round(loss.item(), 4), "dino": round(loss_cls.item(), 4),
                   "pixel": round(loss_pix.item(), 4), "koleo": round(loss_koleo.item(), 4), "teacher_entropy": round(ent, 3), "prototypes_used": used,
                   "seconds": round(time.time() - t1, 1)}
            log.append(row)
            print(" ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    train_s, train_cpu = time.time() - t1, time.process_time() - c1
    # The teacher (EMA) is the encoder DINO keeps.
    write_folder(args, teacher.backbone, cfg, manifest, len(pixels),
                 {"load_seconds": round(load_s, 1), "train_seconds": round(train_s, 1),
                  "train_cpu_seconds": round(train_cpu, 1), "log": log})


def write_folder(args, model, cfg, manifest, n_train, timing):
    os.makedirs(args.out, exist_ok=True)
    dtype = torch.float16 if args.dtype == "f16" else torch.float32
    cfg = dict(cfg, torch_dtype="float16" if args.dtype == "f16" else "float32")
    tensors = {k: v.detach().to(dtype) for k, v in model.state_dict().items()}
    hf_io.save_safetensors(os.path.join(args.out, "model.safetensors"), tensors)
    hf_io.write_json(os.path.join(args.out, "config.json"), cfg)
    hf_io.write_json(os.path.join(args.out, "preprocessor_config.json"), dino_data.processor(args.image))
    info = {"command": "nice -n 10 python3 apps/demo/train/train_dino.py " + " ".join(sys.argv[1:]),
            "options": {k: v for k, v in sorted(vars(args).items()) if k not in ("data", "out")},
            "train_images": n_train, "data": {k: manifest[k] for k in ("seed", "train", "test", "version")},
            "parameters": sum(q.numel() for q in model.parameters()), "machine": platform.machine(),
            "torch": torch.__version__, **timing}
    hf_io.write_json(os.path.join(args.out, "metrics.json"), info)
    dino_card.write(args.out)


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a folder written by apps/demo/world/generate.py")
    ap.add_argument("--out", required=True, help="the model folder to write")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a loaded machine)")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--image", type=int, default=64, help="input size; 64 with patch 8 matches demo-clip v2's grid")
    ap.add_argument("--patch", type=int, default=8)
    ap.add_argument("--prototypes", type=int, default=512)
    ap.add_argument("--head-hidden", type=int, default=256)
    ap.add_argument("--teacher-temp", type=float, default=0.04)
    ap.add_argument("--student-temp", type=float, default=0.1)
    ap.add_argument("--ema", type=float, default=0.99, help="teacher momentum at the start (cosine to 1)")
    ap.add_argument("--mask-min", type=float, default=0.3)
    ap.add_argument("--mask-max", type=float, default=0.7)
    ap.add_argument("--shift", type=int, default=2, help="largest shift of a view, pixels")
    ap.add_argument("--pixel-weight", type=float, default=1.0)
    ap.add_argument("--targets", choices=["patch", "neighbourhood"], default="neighbourhood",
                    help="pixel targets per token: its own patch (colour + normalised pattern) or its 3 x 3 neighbourhood")
    ap.add_argument("--koleo-weight", type=float, default=0.3)
    ap.add_argument("--masked-weight", type=float, default=2.0, help="pixel loss weight of a masked patch vs a visible one")
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    ap.add_argument("--limit", type=int, default=None, help="read at most this many training images")
    ap.add_argument("--log-every", type=int, default=50)
    return ap.parse_args(argv)


if __name__ == "__main__":
    train(parse())
