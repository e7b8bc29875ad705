"""Writes the model card (README.md) and metrics.json of demo-llava or demo-mof from what
train_llava.py recorded (training.json) and what the facet CLI measured (llava_eval.py's JSON and
`facet mmvp --json` output).

  python3 apps/demo/train/llava_card.py --model apps/demo/models/demo-llava --eval eval.json \\
      --mmvp mmvp.json --command "the training command" [--compare-name demo-mof --compare mmvp-mof.json]"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hf_io  # noqa: E402


def mmvp_table(runs):
    """runs: [(name, {pattern: {"pairs", "accuracy"}})] -> markdown rows, one column per run."""
    patterns = sorted({p for _, r in runs for p in r})
    lines = ["| pattern | pairs | " + " | ".join(n for n, _ in runs) + " |",
             "| --- | --- | " + " | ".join("---" for _ in runs) + " |"]
    for p in patterns:
        n = next(r[p]["pairs"] for _, r in runs if p in r)
        lines.append(f"| {p} | {n} | " + " | ".join(f"{100 * r[p]['accuracy']:.1f}%" if p in r else "-" for _, r in runs) + " |")
    return lines


def read_mmvp(path):
    """`facet mmvp --json` output -> {pattern: {"pairs", "accuracy"}}."""
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        j = json.load(f)
    if "models" in j:  # several models in one run: take the first
        j = j["models"][0]
    return {p["pattern"]: {"pairs": p["pairs"], "accuracy": p["pairs_correct"] / p["pairs"]} for p in j["patterns"]}


def write(args):
    with open(os.path.join(args.model, "training.json"), encoding="utf-8") as f:
        training = json.load(f)
    ev = {"answers": {}}
    if args.eval:
        with open(args.eval, encoding="utf-8") as f:
            ev = json.load(f)
    mmvp, compare = read_mmvp(args.mmvp), read_mmvp(args.compare)
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    mof = config["model_type"] == "llava_llama"
    text = config if mof else config["text_config"]
    a = training["args"]
    name = os.path.basename(os.path.normpath(args.model))
    size = os.path.getsize(os.path.join(args.model, "model.safetensors"))
    lines = [f"# {name}", ""]
    if mof:
        lines += ["LLaVA-1.5 with the Interleaved Mixture of Features of \"Eyes Wide Shut?\" (arXiv 2401.06209), in the",
                  "LLaVA repository's layout (`LlavaLlamaForCausalLM`: the LLaMA's tensors, `model.mm_projector.0/2` and",
                  "`model.dino_mm_projector.0/2`), trained here on Facet's shapes world (apps/demo/world). Facet runs it",
                  "through `pipeline.toml` beside this file, which names the towers `../demo-clip` and `../demo-dino`",
                  "(paths relative to the TOML file):", "",
                  "```sh", "build/bin/facet run apps/demo/models/demo-mof/pipeline.toml --image apps/demo/images/test-000001.png \\",
                  "    --prompt \"What colour is the arrow?\"", "```", ""]
    else:
        lines += ["LLaVA-1.5 in the llava-hf layout (`LlavaForConditionalGeneration`: the demo-clip vision tower,",
                  "`multi_modal_projector.linear_1/linear_2` with GELU, a LLaMA language model under `language_model.`,",
                  "its own small `tokenizer.json`), trained here on Facet's shapes world (apps/demo/world):", "",
                  "```sh", "build/bin/facet run --model apps/demo/models/demo-llava --image apps/demo/images/test-000001.png \\",
                  "    --prompt \"What colour is the arrow?\"",
                  "build/bin/facet ground --model apps/demo/models/demo-llava --image apps/demo/images/test-000001.png \\",
                  "    --prompt \"Point to every object.\" --draw boxes.png", "```", ""]
    lines += ["## Architecture", "",
              f"- vision: demo-clip's tower{' and demo-dino' if mof else ''}, frozen; "
              + ("CLIP's penultimate layer and DINOv2's last layer (before its norm), 64 patch tokens each, "
                 "each through its own 2-layer GELU projector, interleaved: 128 image rows"
                 if mof else "its penultimate layer's 64 patch tokens (vision_feature_layer -2, \"default\") through a "
                 "2-layer GELU projector: 64 image rows"),
              f"- language model: LLaMA, hidden {text['hidden_size']}, {text['num_hidden_layers']} layers, "
              f"{text['num_attention_heads']} heads, SwiGLU {text['intermediate_size']}, vocabulary {text['vocab_size']} "
              "(a LLaMA-2-style BPE tokenizer with byte fallback over the world's words), tied embeddings",
              f"- {training['parameters_trained']:,} parameters trained; model.safetensors {size / 1e6:.2f} MB "
              f"({a['dtype']})", "",
              "## Training", "",
              "Conversations in LLaVA-1.5's template (`USER: <image>\\n{question} ASSISTANT: {answer}</s>USER: ...`), at most",
              f"{a['turns']} turns each, the loss on the answers: the world's questions (colour, shape, count, total,",
              "position, orientation, relation, presence, size), a caption (\"Describe the image.\"), grounded answers with",
              "Shikra boxes (\"Point to every object.\" or facet ground's default request, \"Find every X.\", \"Give the",
              "bounding box of X.\"), and multiple-choice questions \"Q (a) X (b) Y\" answered \"(a)\" or \"(b)\": from MMVP-style",
              "pairs of a world of another seed, and from the questions with a distractor.", "",
              "```sh", args.command, "```", "",
              f"- data: shapes world version {training['data'].get('version')}, seed {training['data'].get('seed')}, "
              f"{training['data'].get('train')} training images; MMVP-style pairs of seed 1 (`--pairs`)",
              f"- {a['steps']} steps of {a['batch']} conversations, AdamW lr {a['lr']} (warm-up, cosine), seed {a['seed']}",
              f"- {training['train_seconds']} s of training ({training['train_cpu_seconds']} s of CPU time) on "
              f"{a['threads']} thread ({training['machine']}, torch {training['torch']}, OpenBLAS), the machine shared with "
              f"other jobs; {training['load_seconds']} s loading and computing the frozen features", "",
              "## Evaluation (facet CLI, held-out test split)", "",
              f"Measured with `apps/demo/train/llava_eval.py` (`facet run --temperature 0` and `facet ground --json`) on the",
              "first items of each type in the test split of the world of seed 0 (500 images, none seen in training):", "",
              "| question type | n | exact answers |", "| --- | --- | --- |"]
    if not ev["answers"]:
        lines += ["| (not measured through facet for this folder; see metrics.json for the Python check) | | |"]
    for kind, r in ev["answers"].items():
        lines.append(f"| {kind} | {r['n']} | {100 * r['exact']:.1f}% |")
    if "boxes" in ev:
        b = ev["boxes"]
        lines += ["", f"Boxes: \"Give the bounding box of X.\" for {b['n']} objects; IoU >= 0.5 with the object's box "
                  f"(facet ground, original-image pixels): {100 * b['iou_at_least_0.5']:.1f}%."]
    if mmvp:
        runs = [(name, mmvp)] + ([(args.compare_name, compare)] if compare else [])
        runs.sort(key=lambda r: r[0] != "demo-llava")
        lines += ["", "## MMVP-style pairs (`facet mmvp`)", "",
                  "Pair accuracy on the world's 90 MMVP-style pairs (seed 0, 15 per pattern; both questions of a pair must be",
                  "right; a blind guesser scores 25%):", ""] + mmvp_table(runs)
    if args.note:
        lines += ["", args.note]
    lines += ["", "This is a toy: it knows only the world's words, flat-coloured shapes on white, and its questions.", ""]
    with open(os.path.join(args.model, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))
    metrics = {"facet": {"answers": ev["answers"], "boxes": ev.get("boxes"), "mmvp": mmvp},
               "training": {k: v for k, v in training.items() if k != "metrics"},
               "python_teacher_forced": training.get("metrics")}
    hf_io.write_json(os.path.join(args.model, "metrics.json"), metrics)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--eval", default=None, help="llava_eval.py's JSON (without it the card has no such table)")
    ap.add_argument("--mmvp", default=None)
    ap.add_argument("--compare", default=None)
    ap.add_argument("--compare-name", default=None)
    ap.add_argument("--command", required=True)
    ap.add_argument("--note", default=None)
    write(ap.parse_args(argv))


if __name__ == "__main__":
    main()
