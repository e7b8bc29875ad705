"""demo-dino's model card (README.md), written from the folder's metrics.json so that train_dino.py
and dino_eval.py (which adds the measurements) write the same card."""
import json
import os


def write(folder):
    with open(os.path.join(folder, "metrics.json"), encoding="utf-8") as f:
        info = json.load(f)
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(card(info, cfg))


def pct(x):
    return f"{100 * x:.1f}%"


def data_path(info):
    words = info["command"].split()
    return words[words.index("--data") + 1] if "--data" in words else "/tmp/world"


def card(info, cfg):
    o = info["options"]
    lines = [
        "# demo-dino", "",
        "A small DINOv2 (Hugging Face `Dinov2Model` layout) trained from scratch, without captions or labels,",
        "on the pictures of Facet's shapes world (apps/demo/world). It is the self-supervised half of the",
        "\"Eyes Wide Shut?\" story (arXiv 2401.06209): `facet mine-pairs` pairs it with demo-clip to find",
        "CLIP-blind pairs, and Interleaved-MoF (demo-mof) interleaves its patch tokens with demo-clip's.", "",
        "## Architecture", "",
        f"- ViT {cfg['image_size']} x {cfg['image_size']} px, patch {cfg['patch_size']} (an "
        f"{cfg['image_size'] // cfg['patch_size']} x {cfg['image_size'] // cfg['patch_size']} grid, "
        f"{(cfg['image_size'] // cfg['patch_size']) ** 2} patch tokens: demo-clip v2's grid, one to one for MoF), width "
        f"{cfg['hidden_size']}, {cfg['num_hidden_layers']} layers, {cfg['num_attention_heads']} heads, MLP "
        f"{cfg['hidden_size'] * cfg['mlp_ratio']} ({cfg['hidden_act']}), layer scale, no registers",
        f"- {info['parameters']:,} parameters stored as {cfg['torch_dtype']}",
        "- preprocessing (preprocessor_config.json) is CLIP's: shortest edge to "
        f"{cfg['image_size']} bicubic, center crop, CLIP mean/std, the image MoF hands DINOv2",
        "- `embeds` (what `facet embed` and `facet mine-pairs` use) is the final-normed class token; MoF takes",
        "  the last layer's patch tokens before the final norm (`--output hidden:-1 --tokens patch`)", "",
        "## Training", "",
        f"- data: shapes world version {info['data']['version']}, seed {info['data']['seed']}, "
        f"{info['train_images']} training pictures, no captions",
        f"- objective: DINO on the class token (masked student view against the clean teacher view), KoLeo on the "
        "class token, and pixel prediction. The EMA teacher (momentum " f"{o['ema']} cosine to 1, temperature "
        f"{o['teacher_temp']}, centering) sees a clean view, the student (temperature {o['student_temp']}) the first half "
        f"of each batch with {pct(o['mask_min'])}-{pct(o['mask_max'])} of its patches replaced by `mask_token`; "
        f"{o['prototypes']} prototypes. KoLeo (weight {o['koleo_weight']}, DINOv2's spreading term) acts on the "
        "final-normed class tokens of the unmasked half. A linear pixel head (thrown away) predicts from each token "
        + ("its 3 x 3 patch neighbourhood (2 x 2 average-pooled)" if o.get("targets") == "neighbourhood"
           else "its patch's mean colour and pixels normalised per patch")
        + f", masked patches weighted {o['masked_weight']}x. The teacher is the saved encoder.",
        f"- views differ only by a shift of up to {o['shift']} px (white fill) and the masking: no flips, rotations, "
        "crops or colour changes, so orientation, position and colour are never augmented away",
        f"- {o['steps']} steps of batch {o['batch']}, AdamW lr {o['lr']} (warm-up, cosine), weight decay 0.05, seed {o['seed']}",
        f"- {info['train_seconds']} s of training ({info.get('train_cpu_seconds', 'not recorded')} s of CPU) on "
        f"{o['threads']} CPU thread(s) under `nice -n 10` on the shared 2-core machine, with other trainings and "
        f"compiles running ({info['machine']}, torch {info['torch']}); {info['load_seconds']} s loading", "",
        "```sh", f"python3 apps/demo/world/generate.py --out {data_path(info)} --seed {info['data']['seed']} "
        f"--train {info['data']['train']} --test {info['data']['test']} --pairs 15", info["command"], "```", ""]
    ev = info.get("evaluation")
    if ev:
        lines += evaluation(ev)
    else:
        lines += ["(Not evaluated yet: run apps/demo/train/dino_eval.py.)", ""]
    lines += ["This is a toy: a few minutes of one CPU thread on flat-coloured shapes on white.", ""]
    return "\n".join(lines)


def evaluation(ev):
    lines = [
        "## Evaluation", "",
        "Measured by `apps/demo/train/dino_eval.py` (numbers in metrics.json, `evaluation`):", "",
        "```sh", ev.get("command", "python3 apps/demo/train/dino_eval.py"), "```", "",
        "### Linear probes", "",
        "Frozen per-object features: the mean of the last layer's patch tokens (before the final norm) over the",
        "patches whose centre lies in the object's box; the same recipe for both encoders, each at its own",
        f"preprocessing. A logistic regression per attribute is fitted on the objects of the first "
        f"{ev['probe_train_images']} training pictures and scored on all test-split objects.",
        "demo-clip columns: " + "; ".join(
            f"`{c['folder']}` (ViT {c['vision']['image_size']} px / patch {c['vision']['patch_size']}, width "
            f"{c['vision']['hidden_size']}, {c['vision']['num_hidden_layers']} layers)" for c in ev["clips"]) + ".", "",
        "| attribute | classes | test objects | demo-dino | " + " | ".join(
            f"demo-clip {c['vision']['image_size']} px" for c in ev["clips"]) + " |",
        "| --- | --- | --- | --- | " + " | ".join("---" for _ in ev["clips"]) + " |"]
    for name, m in ev["probes"].items():
        lines.append(f"| {name} | {m['classes']} | {m['test_objects']} | {pct(m['accuracy'])} | "
                     + " | ".join(pct(c["probes"][name]["accuracy"]) for c in ev["clips"]) + " |")
    lines.append("")
    for c in ev["clips"]:
        ahead = [n for n, m in ev["probes"].items() if m["accuracy"] > c["probes"][n]["accuracy"]]
        behind = [n for n, m in ev["probes"].items() if m["accuracy"] < c["probes"][n]["accuracy"]]
        lines.append(f"Against demo-clip {c['vision']['image_size']} px, demo-dino is ahead on "
                     f"{', '.join(ahead) or 'nothing'} and behind on {', '.join(behind) or 'nothing'}.")
    lines += ["At this budget the self-supervised encoder does not (yet) show the \"Eyes Wide Shut?\" advantage on",
              "orientation in these probes; its class token does separate pictures CLIP puts together (below).", ""]
    if "facet_vs_torch" in ev:
        f = ev["facet_vs_torch"]
        lines += ["### Through Facet", "",
                  f"`facet embed` on {f['images']} test pictures equals the PyTorch forward of these weights: largest "
                  f"absolute difference {f['max_abs_diff']['embeds']:.3g} (`embeds`), "
                  f"{f['max_abs_diff']['hidden:-1 patch']:.3g} (`hidden:-1`, patch tokens).", ""]
    if "mine_pairs" in ev:
        lines += mining_section(ev["mine_pairs"])
    return lines


def mining_section(mp):
    t = mp["test"]
    lines = ["### CLIP-blind pairs", "",
             f"`facet mine-pairs --clip {mp.get('clip_folder', '<demo-clip>')} --dino demo-dino --clip-threshold {t['clip_threshold']} "
             f"--dino-threshold {t['dino_threshold']}` (pairs with CLIP cosine above, DINOv2 cosine below):", ""]
    for name, m in (("test split pictures", mp["test"]), ("MMVP pictures (pairs that differ in one attribute)", mp["mmvp"])):
        lines.append(f"- {name}: {m['summary'].split(': ', 1)[1]}.")
        if m["pairs"]:
            lines.append("  Share of mined pairs whose scenes differ in each attribute (objects compared as multisets; "
                         "orientation only between the same shapes): "
                         + ", ".join(f"{k} {pct(v)}" for k, v in m["differ_in"].items()) + ".")
            lines.append("  Most common exact differences: "
                         + ", ".join(f"{k} ({v})" for k, v in m["exactly"]) + ".")
        if "designed" in m:
            lines.append("  " + m["designed"])
    lines.append("")
    return lines
