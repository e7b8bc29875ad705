"""Writes demo-sd's model card (README.md) and metrics.json from train_sd.py's train_log.json and
sd_eval.py's --json-out.

  python3 apps/demo/train/sd_card.py --model apps/demo/models/demo-sd --train-log /tmp/demo-sd/train_log.json \\
      --eval /tmp/demo-sd-eval.json --command "..." [--clip-note "..."]"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hf_io  # noqa: E402
import sd_eval  # noqa: E402


def folder_bytes(model):
    total = 0
    for root, _, files in os.walk(model):
        for f in files:
            if f not in ("README.md", "metrics.json"):
                total += os.path.getsize(os.path.join(root, f))
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--train-log", required=True)
    ap.add_argument("--vae-log", help="train_log.json of the run that trained the VAE, when the UNet run took it "
                    "with --vae-from")
    ap.add_argument("--eval", required=True)
    ap.add_argument("--command", required=True, help="the training command, as run")
    ap.add_argument("--eval-command", required=True)
    ap.add_argument("--python-eval", help="sd_eval.py --python's --json-out, stored in metrics.json too")
    ap.add_argument("--notes", default="", help="extra markdown for the card's end")
    args = ap.parse_args(argv)
    with open(args.train_log) as f:
        tl = json.load(f)
    with open(args.eval) as f:
        ev = json.load(f)
    with open(os.path.join(args.model, "unet", "config.json")) as f:
        unet = json.load(f)
    with open(os.path.join(args.model, "vae", "config.json")) as f:
        vae = json.load(f)
    with open(os.path.join(args.model, "text_encoder", "config.json")) as f:
        text = json.load(f)
    a, sec, cpu, par = dict(tl["args"]), dict(tl["seconds"]), dict(tl["cpu_seconds"]), tl["parameters"]
    runs = [tl]
    if args.vae_log:
        with open(args.vae_log) as f:
            vl = json.load(f)
        runs.insert(0, vl)
        for k in ("vae_steps", "vae_batch", "vae_lr", "kl", "fg_weight", "vae_channels"):
            a[k] = vl["args"][k]
        sec["vae"], cpu["vae"] = vl["seconds"]["vae"], vl["cpu_seconds"]["vae"]
    sec["total"] = round(sum(r["seconds"]["total"] for r in runs), 1)
    cpu["total"] = round(sum(r["cpu_seconds"]["total"] for r in runs), 1)
    size = folder_bytes(args.model)
    metrics = {"bar": {"overall_as_prompted": ev["overall"]["both"], "per_colour": ev["per_colour"],
                       "per_shape": ev["per_shape"], "overall": ev["overall"], "seeds": ev["seeds"],
                       "steps": ev["steps"] or 20, "cfg_scale": ev["cfg_scale"] or 7.5,
                       "sampler": ev["sampler"] or "ddim", "images": len(ev["rows"]), "eval_seconds": ev["seconds"]},
               "training": {"args": a, "seconds": sec, "cpu_seconds": cpu, "threads": tl["threads"],
                            "torch": tl["torch"], "images": tl["images"],
                            "log": sum((r["log"] for r in runs), [])},
               "parameters": par, "folder_bytes": size}
    if args.python_eval:
        with open(args.python_eval) as f:
            pe = json.load(f)
        metrics["bar_python_reference"] = {k: pe[k] for k in ("overall", "per_colour", "per_shape", "seeds", "rows")}
    hf_io.write_json(os.path.join(args.model, "metrics.json"), metrics)
    o = ev["overall"]
    lines = [
        "# demo-sd", "",
        "A tiny latent diffusion model in Stable Diffusion's diffusers layout, trained from scratch on Facet's",
        "shapes world (apps/demo/world) so that `facet txt2img` draws something out of the box:",
        "", "```sh",
        'build/bin/facet txt2img --model apps/demo/models/demo-sd --prompt "a red circle" --out red-circle.png',
        "```", "",
        "It knows only the world: flat-coloured shapes on white, 64 x 64 pixels, and the world's words.", "",
        "## Architecture", "",
        f"- unet/: UNet2DConditionModel, block_out_channels {unet['block_out_channels']}, "
        f"{unet['down_block_types']} / {unet['up_block_types']}, layers_per_block 1, "
        f"{unet['attention_head_dim']} heads, cross_attention_dim {unet['cross_attention_dim']}, "
        f"16 x 16 x 4 latents; {par['unet']:,} parameters (f16)",
        f"- vae/: AutoencoderKL, block_out_channels {vae['block_out_channels']} (64 px -> 16 x 16 latents, factor 4), "
        f"latent_channels 4, scaling_factor {vae['scaling_factor']}; {par['vae']:,} parameters (f16)",
        f"- text_encoder/: demo-clip's text tower (CLIPTextModel, width {text['hidden_size']}, "
        f"{text['num_hidden_layers']} layers, {text['max_position_embeddings']} positions), copied and frozen; "
        f"{par['text_encoder']:,} parameters (f32)",
        "- tokenizer/: demo-clip's tokenizer.json as diffusers ships CLIP tokenizers (vocab.json, merges.txt, "
        "tokenizer_config.json with model_max_length = the text tower's positions); train_sd.py checks that it "
        "gives the tokenizer.json's ids on every training caption",
        "- scheduler/: DDIMScheduler with SD 1.5's noise schedule (scaled_linear 0.00085-0.012, 1000 steps, "
        "epsilon), trailing timestep spacing",
        f"- {size / 1e6:.2f} MB of weights and configs in all", "",
        "## Training", "",
        "```sh", args.command, "```", "",
        f"- data: the shapes world at 64 px, seed 0, {tl['images']} training images (held-out colour/shape "
        "combinations never drawn); one-object scenes make "
        f"{a['single']:.0%} of each UNet batch, captioned \"a red circle\" half of the time, else by a world template",
        f"- VAE: {a['vae_steps']} steps of batch {a['vae_batch']}, AdamW lr {a['vae_lr']}, MSE + 0.5 L1 + "
        f"{a['kl']} KL, the objects' pixels weighted {a['fg_weight']} more",
        f"- UNet: {a['unet_steps']} steps of batch {a['batch']}, AdamW lr {a['lr']} (warm-up, cosine), "
        f"epsilon loss, caption dropped {a['drop']:.0%} of the time (classifier-free guidance), EMA {a['ema']} "
        "(the stored weights), seed " + str(a["seed"]),
        f"- time: {cpu['total']} s of CPU time in all (VAE {cpu['vae']} s, UNet {cpu['unet']} s, the rest loading, "
        f"encoding the latents, checking the tokenizer), {sec['total']} s of wall clock: {tl['threads']} thread, "
        f"torch {tl['torch']}, under `nice -n 10` on the shared 2-core machine, whose other jobs took the rest "
        "of the wall clock", "",
        "## Evaluation (issue 23's bar, through the facet CLI)", "",
        "```sh", args.eval_command, "```", "",
        f"For each of {len({r['prompt'] for r in ev['rows']})} colour/shape prompts and seeds "
        f"{ev['seeds']}, `facet txt2img` draws \"a <colour> <shape>\" (sampler {ev['sampler'] or 'ddim'}, "
        f"{ev['steps'] or 20} steps, CFG {ev['cfg_scale'] or 7.5}: the CLI's defaults), and `facet classify` with "
        "demo-clip picks one of all colour/shape labels. \"as prompted\" = the pick is the prompt.", "",
        f"**{o['both']:.1%} of {o['n']} pictures are classified as their prompt** (bar: 80%).", "",
        sd_eval.table(ev), "",
    ]
    if args.notes:
        lines += [args.notes, ""]
    with open(os.path.join(args.model, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
