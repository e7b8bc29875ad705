"""Scores demo-sd through the facet CLI, as issue 23's bar asks: for each "<colour> <shape>" of the
shapes world and each seed, `facet txt2img` draws "a <colour> <shape>", and `facet classify` with
demo-clip picks one of all colour x shape labels for the picture; the picture counts when the pick
is its prompt. Prints (and with --json-out writes) the overall rate and the rates per colour and
per shape, with colour and shape also scored on their own.

  python3 apps/demo/train/sd_eval.py --facet build/bin/facet --model apps/demo/models/demo-sd \\
      --clip apps/demo/models/demo-clip --seeds 0 1 2 [--prompts "red circle,blue star"] [--bar 0.8]

Exit status 1 when --bar is given and the overall rate is below it."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from world import language, scene as world_scene  # noqa: E402

LABELS = [f"{c} {s}" for c in sorted(world_scene.COLOURS) for s in world_scene.SHAPES]


def interleaved():
    """All labels, ordered so that every 8 in a row hold every colour and 7 or 8 shapes (a run cut
    short still covers the world): label 8a + b is colour b with shape (2a + b) mod 7."""
    colours, shapes = sorted(world_scene.COLOURS), world_scene.SHAPES
    return [f"{colours[b]} {shapes[(2 * a + b) % 7]}" for a in range(7) for b in range(8)]


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p.stdout


def score(facet, model, clip, labels, seeds, steps=None, cfg=None, sampler=None, folder=None, log=print):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = folder or tmp
        os.makedirs(out_dir, exist_ok=True)
        for label in labels:
            for seed in seeds:
                png = os.path.join(out_dir, f"{label.replace(' ', '_')}_{seed}.png")
                cmd = [facet, "--quiet", "txt2img", "--model", model, "--prompt", language.a(label), "--seed", str(seed),
                       "--out", png]
                for flag, v in (("--steps", steps), ("--cfg-scale", cfg), ("--sampler", sampler)):
                    if v is not None:
                        cmd += [flag, str(v)]
                run(cmd)
                got = json.loads(run([facet, "--quiet", "classify", "--model", clip, "--image", png, "--labels",
                                      ",".join(LABELS), "--json"]))
                best = max(range(len(LABELS)), key=lambda k: got["probs"][k])
                rows.append({"prompt": label, "seed": seed, "pick": LABELS[best]})
                log(f"{label:18s} seed {seed}: {LABELS[best]}")
    return rows


def python_score(model, clip, labels, seeds, steps=20, cfg=7.5, batch=56):
    """The same measurement in PyTorch, for a quick look at every prompt and many seeds where the
    facet CLI costs ~10 s a picture on a loaded machine: the reference pipeline (sd_ref.py's
    DDIM loop and modules, which Facet's tests match) with torch's noise for each seed (not
    Facet's mt19937 draws), and demo-clip's CLIPModel (clip_model.py) with CLIPImageProcessor's
    preprocessing of a 64 px picture and facet classify's template "a photo of a {}."."""
    import torch
    import hf_io
    import sd_parts as P
    import sd_ref
    from clip_model import CLIPModel

    unet, vae, text, tok, sched = P.load_folder(model)
    with open(os.path.join(clip, "config.json")) as f:
        ccfg = json.load(f)
    cm = CLIPModel(ccfg)
    cm.load_state_dict({k: v for k, v in hf_io.load_safetensors(os.path.join(clip, "model.safetensors")).items()
                        if not k.endswith("position_ids")})
    cm.eval()
    ctok = sd_ref.CLIPTokenizer.from_tokenizer_json(os.path.join(clip, "tokenizer.json"),
                                                    model_max_length=ccfg["text_config"]["max_position_embeddings"])
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
    rows = []
    with torch.no_grad():
        t_emb = torch.nn.functional.normalize(cm.text_embeds(torch.tensor([ctok(f"a photo of a {l}.") for l in LABELS])), dim=-1)
        jobs = [(label, seed) for seed in seeds for label in labels]
        for i in range(0, len(jobs), batch):
            part = jobs[i:i + batch]
            cond = text.prompt_embeds(torch.tensor([tok(language.a(l)) for l, _ in part]))
            uncond = text.prompt_embeds(torch.tensor([tok("")] * len(part)))
            noise = torch.stack([torch.randn(4, 16, 16, generator=torch.Generator().manual_seed(s)) for _, s in part])
            sched.set_timesteps(steps)
            x = noise * sched.init_noise_sigma
            for t in sched.timesteps:
                inp = sched.scale_model_input(torch.cat([x, x]), t)
                u, c = unet(inp, t, torch.cat([uncond, cond])).chunk(2)
                x = sched.step(u + cfg * (c - u), t, x)
            img = vae.decode(x / vae.config["scaling_factor"])
            u8 = ((img / 2 + 0.5).clamp(0, 1) * 255).round()
            pix = (u8 / 255 - mean) / std
            i_emb = torch.nn.functional.normalize(cm.image_embeds(pix), dim=-1)
            picks = (i_emb @ t_emb.T).argmax(dim=1).tolist()
            rows += [{"prompt": l, "seed": s, "pick": LABELS[k]} for (l, s), k in zip(part, picks)]
    return rows


def summary(rows):
    def rate(sel):
        sel = list(sel)
        return {"n": len(sel), "both": sum(r["pick"] == r["prompt"] for r in sel) / len(sel),
                "colour": sum(r["pick"].split()[0] == r["prompt"].split()[0] for r in sel) / len(sel),
                "shape": sum(r["pick"].split()[1] == r["prompt"].split()[1] for r in sel) / len(sel)}
    out = {"overall": rate(rows), "per_colour": {}, "per_shape": {}}
    for c in sorted(world_scene.COLOURS):
        sel = [r for r in rows if r["prompt"].split()[0] == c]
        if sel:
            out["per_colour"][c] = rate(sel)
    for s in world_scene.SHAPES:
        sel = [r for r in rows if r["prompt"].split()[1] == s]
        if sel:
            out["per_shape"][s] = rate(sel)
    return out


def table(summ):
    lines = ["| group | images | as prompted | colour right | shape right |", "| --- | --- | --- | --- | --- |"]
    o = summ["overall"]
    lines.append(f"| all | {o['n']} | {o['both']:.1%} | {o['colour']:.1%} | {o['shape']:.1%} |")
    for key in ("per_colour", "per_shape"):
        for name, r in summ[key].items():
            lines.append(f"| {name} | {r['n']} | {r['both']:.1%} | {r['colour']:.1%} | {r['shape']:.1%} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--facet", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--clip", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--prompts", help="comma-separated '<colour> <shape>' (default: all)")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--cfg-scale", type=float)
    ap.add_argument("--sampler")
    ap.add_argument("--images", help="keep the pictures in this folder")
    ap.add_argument("--json-out")
    ap.add_argument("--python", action="store_true", help="score with the PyTorch reference instead of facet "
                    "(python_score: torch's noise, for a quick look)")
    ap.add_argument("--bar", type=float, help="fail when the overall rate is below this")
    args = ap.parse_args(argv)
    labels = [p.strip() for p in args.prompts.split(",")] if args.prompts else interleaved()
    for label in labels:
        if label not in LABELS:
            raise SystemExit(f"'{label}' is not a colour and shape of the world")
    t0 = time.time()
    if args.python:
        rows = python_score(args.model, args.clip, labels, args.seeds, args.steps or 20,
                            7.5 if args.cfg_scale is None else args.cfg_scale)
    else:
        rows = score(args.facet, args.model, args.clip, labels, args.seeds, args.steps, args.cfg_scale, args.sampler,
                     args.images)
    summ = summary(rows)
    summ.update({"scorer": "python reference" if args.python else "facet CLI", "seeds": args.seeds, "steps": args.steps, "cfg_scale": args.cfg_scale, "sampler": args.sampler,
                 "seconds": round(time.time() - t0, 1), "rows": rows})
    print(table(summ))
    print(f"{len(rows)} images in {summ['seconds']} s")
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(summ, f, indent=1)
    if args.bar is not None and summ["overall"]["both"] < args.bar:
        print(f"FAIL: {summ['overall']['both']:.1%} of the pictures are classified as their prompt, below {args.bar:.0%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
