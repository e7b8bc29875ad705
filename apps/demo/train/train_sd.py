"""Trains demo-sd, a tiny latent diffusion model (Stable Diffusion's diffusers layout) on the shapes
world: first the VAE (AutoencoderKL, 64 px images to 16 x 16 x 4 latents), then the UNet
(UNet2DConditionModel with cross-attention to the frozen demo-clip text tower's states; the caption
dropped 10% of the time for classifier-free guidance). The modules are the Stable Diffusion
reference's (tests/models/sd_ref*.py), which Facet's tests match, so training computes what
`facet txt2img` runs.

  python3 apps/demo/world/generate.py --out /tmp/world-sd --train 12000 --min-size 64 --max-size 64
  nice -n 10 python3 apps/demo/train/train_sd.py --data /tmp/world-sd \\
      --clip apps/demo/models/demo-clip --out /tmp/demo-sd

writes OUT/{model_index.json, scheduler/, text_encoder/, tokenizer/, unet/, vae/} and OUT/train_log.json
(losses, times). The model card and metrics.json come from sd_eval.py, which scores the folder
through the facet CLI."""
import argparse
import copy
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

import hf_io  # noqa: E402
import sd_parts as P  # noqa: E402
from world import language  # noqa: E402


def load_split(data, split, limit=None):
    """records and uint8 images [N, 3, 64, 64] (resized with bicubic when the world is larger)."""
    with open(os.path.join(data, split, "records.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line in f][:limit]
    images = []
    for r in records:
        im = Image.open(os.path.join(data, split, r["image"])).convert("RGB")
        if im.size != (P.IMAGE, P.IMAGE):
            im = im.resize((P.IMAGE, P.IMAGE), resample=Image.BICUBIC)
        images.append(np.asarray(im, dtype=np.uint8).transpose(2, 0, 1))
    return records, torch.from_numpy(np.stack(images))


def to_unit(u8):
    """uint8 -> [-1, 1] as diffusers' VaeImageProcessor."""
    return u8.float() / 127.5 - 1.0


def caption(rng, record):
    """One-object scenes: mostly the bare "a red circle" the bar asks for, else a world template;
    scenes of several objects: a world template."""
    objs = record["scene"]["objects"]
    if len(objs) == 1 and rng.random() < 0.5:
        return language.a(language.phrase(objs[0]))
    return record["captions"][rng.choice(["list", "where", "detail", "list"] if len(objs) == 1
                                         else language.CAPTION_TEMPLATES)]


def lr_at(step, steps, lr, warmup):
    if step < warmup:
        return lr * (step + 1) / warmup
    return lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def sd_ref_vae_load(cfg, path):
    vae = P.new_vae(cfg)
    vae.load_state_dict({k: v.float() for k, v in hf_io.load_safetensors(path).items()})
    return vae.eval()


def train_vae(args, images, log):
    cfg = P.vae_config(args.vae_channels)
    torch.manual_seed(args.seed)
    vae = P.new_vae(cfg)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(args.seed)
    t0, c0 = time.time(), time.process_time()
    for step in range(args.vae_steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.vae_steps, args.vae_lr, 50)
        idx = torch.randint(len(images), (args.vae_batch,), generator=g)
        x = to_unit(images[idx])
        mean, logvar = vae.encode(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=g)
        y = vae.decode(z)
        # Objects cover a few percent of the white pictures: weight their pixels up, or the colours fade.
        w = 1.0 + args.fg_weight * (x < 0.99).any(dim=1, keepdim=True).float()
        w = w / w.mean()
        rec = (w * ((y - x) ** 2 + 0.5 * (y - x).abs())).mean()
        kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).mean()
        loss = rec + args.kl * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 25 == 0 or step == args.vae_steps - 1:
            log.append({"stage": "vae", "step": step, "rec": round(rec.item(), 5), "kl": round(kl.item(), 4),
                        "s": round(time.time() - t0, 1), "cpu_s": round(time.process_time() - c0, 1)})
            print(json.dumps(log[-1]), flush=True)
    vae.eval()
    return vae, cfg, (time.time() - t0, time.process_time() - c0)


@torch.no_grad()
def encode_all(vae, images, chunk=32):
    means, stds = [], []
    for i in range(0, len(images), chunk):
        m, lv = vae.encode(to_unit(images[i:i + chunk]))
        means.append(m)
        stds.append(torch.exp(0.5 * lv))
    return torch.cat(means), torch.cat(stds)


class Ema:
    def __init__(self, model, decay):
        self.model, self.decay, self.n = copy.deepcopy(model).eval(), decay, 0

    @torch.no_grad()
    def update(self, model):
        self.n += 1
        d = min(self.decay, (1 + self.n) / (10 + self.n))
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.mul_(d).add_(p.detach(), alpha=1 - d)


def train_unet(args, records, means, stds, scale, text, tokenizer, log):
    cross = text.config["hidden_size"]
    cfg = P.unet_config(args.unet_channels, cross, P.IMAGE // 2 ** (len(args.vae_channels) - 1), args.heads,
                        args.attention_levels)
    torch.manual_seed(args.seed + 1)
    unet = P.new_unet(cfg)
    if args.unet_from:  # continue training a demo-sd folder's UNet
        path = os.path.join(args.unet_from, "unet", "diffusion_pytorch_model.safetensors")
        unet.load_state_dict({k: v.float() for k, v in hf_io.load_safetensors(path).items()})
    ema = Ema(unet, args.ema)
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.01)
    sched = P.make_scheduler()
    acp = sched.alphas_cumprod
    rng = random.Random(args.seed)
    g = torch.Generator().manual_seed(args.seed + 2)
    single = [i for i, r in enumerate(records) if len(r["scene"]["objects"]) == 1]
    multi = [i for i, r in enumerate(records) if len(r["scene"]["objects"]) > 1]
    ids = {}

    def text_states(texts):
        for t in texts:
            if t not in ids:
                ids[t] = tokenizer(t)
        with torch.no_grad():
            return text.prompt_embeds(torch.tensor([ids[t] for t in texts]))

    t0, c0 = time.time(), time.process_time()
    for step in range(args.unet_steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.unet_steps, args.lr, 100)
        idx = [rng.choice(single) if (not multi or rng.random() < args.single) else rng.choice(multi)
               for _ in range(args.batch)]
        texts = ["" if rng.random() < args.drop else caption(rng, records[i]) for i in idx]
        ctx = text_states(texts)
        it = torch.tensor(idx)
        x0 = (means[it] + stds[it] * torch.randn(means[it].shape, generator=g)) * scale
        noise = torch.randn(x0.shape, generator=g)
        t = torch.randint(0, acp.shape[0], (args.batch,), generator=g)
        a = acp[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        pred = unet(xt, t, ctx)
        loss = F.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        ema.update(unet)
        if step % 50 == 0 or step == args.unet_steps - 1:
            log.append({"stage": "unet", "step": step, "loss": round(loss.item(), 5), "s": round(time.time() - t0, 1),
                        "cpu_s": round(time.process_time() - c0, 1)})
            print(json.dumps(log[-1]), flush=True)
    return ema.model, cfg, (time.time() - t0, time.process_time() - c0)


def save_folder(out, clip, vae, vae_cfg, unet, unet_cfg, text_tensors, dtype):
    os.makedirs(out, exist_ok=True)
    hf_io.write_json(os.path.join(out, "model_index.json"), P.MODEL_INDEX)
    os.makedirs(os.path.join(out, "scheduler"), exist_ok=True)
    hf_io.write_json(os.path.join(out, "scheduler", "scheduler_config.json"), P.SCHEDULER)
    for name, module, cfg in (("unet", unet, unet_cfg), ("vae", vae, vae_cfg)):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        hf_io.write_json(os.path.join(out, name, "config.json"), cfg)
        hf_io.save_safetensors(os.path.join(out, name, "diffusion_pytorch_model.safetensors"),
                               {k: v.to(dtype) for k, v in module.state_dict().items()})
    te = os.path.join(out, "text_encoder")
    os.makedirs(te, exist_ok=True)
    hf_io.write_json(os.path.join(te, "config.json"), P.text_config(clip))
    hf_io.save_safetensors(os.path.join(te, "model.safetensors"), text_tensors)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a world folder (generate.py)")
    ap.add_argument("--clip", required=True, help="the demo-clip folder whose text tower and tokenizer demo-sd uses")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=None, help="use the first N training images")
    ap.add_argument("--vae-from", help="take the VAE of this demo-sd folder instead of training one")
    ap.add_argument("--latents", help="cache of the VAE's latents of the training images (written when absent; "
                    "for development runs that share one VAE through --vae-from)")
    ap.add_argument("--vae-channels", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--vae-steps", type=int, default=700)
    ap.add_argument("--vae-batch", type=int, default=16)
    ap.add_argument("--vae-lr", type=float, default=3e-3)
    ap.add_argument("--fg-weight", type=float, default=10.0, help="extra loss weight of the objects' pixels")
    ap.add_argument("--kl", type=float, default=1e-4, help="weight of the KL term (per element)")
    ap.add_argument("--unet-from", help="start the UNet from this demo-sd folder's (continued training)")
    ap.add_argument("--unet-channels", type=int, nargs="+", default=[32, 64, 64])
    ap.add_argument("--attention-levels", type=int, default=1, help="UNet levels with attention (the last ones)")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--unet-steps", type=int, default=1400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--single", type=float, default=0.75, help="share of one-object scenes in a batch")
    ap.add_argument("--drop", type=float, default=0.1, help="share of empty captions (classifier-free guidance)")
    ap.add_argument("--dtype", choices=["f16", "f32"], default="f16", help="UNet and VAE weights as stored")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t_start, c_start = time.time(), time.process_time()
    records, images = load_split(args.data, "train", args.limit)
    t_load = time.time() - t_start
    tokenizer = P.write_tokenizer(args.clip, os.path.join(args.out, "tokenizer"))
    caps = sorted({c for r in records for c in r["captions"].values()} |
                  {language.a(language.phrase(o)) for r in records for o in r["scene"]["objects"]})
    P.check_tokenizer(tokenizer, args.clip, caps + [""])
    text, text_tensors = P.load_text_encoder(args.clip)
    log = []
    if args.vae_from:
        with open(os.path.join(args.vae_from, "vae", "config.json"), encoding="utf-8") as f:
            vae_cfg = json.load(f)
        vae = sd_ref_vae_load(vae_cfg, os.path.join(args.vae_from, "vae", "diffusion_pytorch_model.safetensors"))
        t_vae = (0.0, 0.0)
    else:
        vae, vae_cfg, t_vae = train_vae(args, images, log)
    if args.latents and os.path.exists(args.latents):
        means, stds = torch.load(args.latents)
        assert len(means) == len(images), "--latents holds another image count"
    else:
        means, stds = encode_all(vae, images)
        if args.latents:
            torch.save((means, stds), args.latents)
    if not args.vae_from:
        vae_cfg["scaling_factor"] = round(1.0 / means.std().item(), 5)
    unet, unet_cfg, t_unet = train_unet(args, records, means, stds, vae_cfg["scaling_factor"], text, tokenizer, log)
    dtype = torch.float16 if args.dtype == "f16" else torch.float32
    save_folder(args.out, args.clip, vae, vae_cfg, unet, unet_cfg, text_tensors, dtype)
    seconds = {"load": round(t_load, 1), "vae": round(t_vae[0], 1), "unet": round(t_unet[0], 1),
               "total": round(time.time() - t_start, 1)}
    cpu = {"vae": round(t_vae[1], 1), "unet": round(t_unet[1], 1), "total": round(time.process_time() - c_start, 1)}
    info = {"args": vars(args), "images": len(records), "seconds": seconds, "cpu_seconds": cpu,
            "threads": torch.get_num_threads(), "torch": torch.__version__, "machine": platform.machine(),
            "parameters": {"unet": sum(p.numel() for p in unet.parameters()),
                           "vae": sum(p.numel() for p in vae.parameters()),
                           "text_encoder": sum(v.numel() for v in text_tensors.values())},
            "log": log}
    with open(os.path.join(args.out, "train_log.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: info[k] for k in ("images", "seconds", "cpu_seconds", "parameters")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
