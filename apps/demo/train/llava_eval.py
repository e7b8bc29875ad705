"""Measures demo-llava / demo-mof through the facet CLI on the shapes world's held-out test split:
exact answers per question type (`facet run --temperature 0`) and boxes (`facet ground --json`,
IoU >= 0.5 with the object asked about).

  python3 apps/demo/train/llava_eval.py --facet build/bin/facet --model apps/demo/models/demo-llava \\
      --data /tmp/world --per-type 50 --ground 50 [--json out.json]
  ... --pipeline apps/demo/models/demo-mof/pipeline.toml ...

The items are the first ones of each type in the test split's order, so a run is deterministic."""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from llava_data import read_records  # noqa: E402

TYPES = ["colour", "shape", "count", "position"]


def target(args):
    return ["--model", args.model] if args.model else [args.pipeline]


def facet(args, cmd, image, prompt, extra=()):
    out = subprocess.run([args.facet, "-q", cmd] + target(args) + ["--image", image, "--prompt", prompt,
                         "--temperature", "0"] + list(extra), capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"facet {cmd} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def locate_items(records, n):
    """(image, question, box of the object) for the first n records with a locate question."""
    out = []
    for r in records:
        for g in r["grounding"]:
            if g["type"] != "locate" or len(out) >= n:
                continue
            ref = g["question"][len("Where is "):-1]
            # The object named: the one whose reference phrase the answer repeats, found by its box.
            box_text = g["answer"][g["answer"].index("["):g["answer"].index("]") + 1]
            frac = json.loads(box_text)
            w, h = r["scene"]["width"], r["scene"]["height"]
            best = min(r["scene"]["objects"], key=lambda o: sum(abs(o["box"][k] - frac[k] * (w if k % 2 == 0 else h))
                                                              for k in range(4)))
            out.append((r, "Give the bounding box of " + ref + ".", best["box"]))
    return out


def evaluate(args):
    records = read_records(args.data, "test")
    folder = os.path.join(args.data, "test")
    result, t0 = {"answers": {}, "examples": []}, time.time()
    for kind in args.types:
        items = [(r, q) for r in records for q in r["questions"] if q["type"] == kind][:args.per_type]
        right = 0
        for r, q in items:
            got = facet(args, "run", os.path.join(folder, r["image"]), q["question"], ["--max-tokens", "24"]).strip()
            right += got == q["answer"]
            if len(result["examples"]) < 200 and got != q["answer"]:
                result["examples"].append({"image": r["image"], "question": q["question"], "expected": q["answer"], "got": got})
        result["answers"][kind] = {"n": len(items), "exact": right / len(items) if items else None}
        print(kind, result["answers"][kind], flush=True)
    if args.ground:
        hits, n = 0, 0
        for r, prompt, box in locate_items(records, args.ground):
            out = json.loads(facet(args, "ground", os.path.join(folder, r["image"]), prompt, ["--json", "--max-tokens", "48"]))
            boxes = [b for e in out.get("entities", []) for b in e.get("boxes", [])]
            best = max((iou(box, b if isinstance(b, list) else [b["x1"], b["y1"], b["x2"], b["y2"]]) for b in boxes), default=0.0)
            hits += best >= 0.5
            n += 1
        result["boxes"] = {"n": n, "iou_at_least_0.5": hits / n if n else None}
        print("boxes", result["boxes"], flush=True)
    result["seconds"] = round(time.time() - t0, 1)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--facet", required=True)
    ap.add_argument("--model", default=None)
    ap.add_argument("--pipeline", default=None)
    ap.add_argument("--data", required=True)
    ap.add_argument("--types", default=",".join(TYPES))
    ap.add_argument("--per-type", type=int, default=50)
    ap.add_argument("--ground", type=int, default=50)
    ap.add_argument("--json", default=None, help="write the result here")
    args = ap.parse_args(argv)
    args.types = [t for t in args.types.split(",") if t]
    if bool(args.model) == bool(args.pipeline):
        ap.error("give --model or --pipeline")
    result = evaluate(args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "examples"}))


if __name__ == "__main__":
    main()
