"""Writes a shapes-world dataset: train and test splits (PNG images and a JSONL of scene records
with captions, questions and grounded answers), MMVP pairs in the layout `facet mmvp` reads and
MMVP-VLM pairs in the layout `facet mmvp-vlm` reads.

  python3 apps/demo/world/generate.py --out /tmp/world [--seed 0] [--train 5000] [--test 500]
                                      [--pairs 15] [--min-size 64] [--max-size 96]

OUT/manifest.json           seed, counts, held-out colour/shape combinations
OUT/{train,test}/images/N.png, OUT/{train,test}/records.jsonl
OUT/mmvp/MMVP Images/N.png, Questions.csv, patterns.csv, pairs.jsonl
OUT/mmvp_vlm/MLLM_VLM Images/<Type>/N.jpg, Questions.csv

The same arguments write the same bytes."""
import argparse
import csv
import json
import os
import sys

if __package__ in (None, ""):  # run as a script: make `world` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "world"

from world import language, pairs, scene as sc  # noqa: E402

VERSION = 1
# (colour, shape) never drawn in the training split: zero-shot prompts on them are held out.
HELD_OUT = [("green", "star"), ("pink", "arrow"), ("yellow", "semicircle"), ("blue", "triangle"),
            ("purple", "circle"), ("orange", "square"), ("black", "crescent")]


def image_size(rng, min_size, max_size):
    return rng.choice(list(range(min_size, max_size + 1, 8)) or [min_size])


def save_png(im, path):
    # Fixed encoder settings: the same pixels give the same file.
    im.save(path, format="PNG", optimize=False, compress_level=6)


def item(seed, split, i, min_size, max_size):
    """One record of a split (the scene, captions, questions, grounded answers) and its image."""
    rng = sc.scene_rng(seed, split, i)
    size = image_size(rng, min_size, max_size)
    scene = sc.sample_scene(rng, size, size, forbid=HELD_OUT if split == "train" else ())
    record = {"id": f"{split}-{i:06d}", "image": f"images/{i:06d}.png", "scene": scene,
              "captions": language.captions(scene), "questions": language.questions(scene, rng),
              "grounding": language.grounding(scene, rng)}
    return record, sc.draw(scene)


def write_split(out, seed, split, n, min_size, max_size):
    folder = os.path.join(out, split)
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    with open(os.path.join(folder, "records.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for i in range(n):
            record, im = item(seed, split, i, min_size, max_size)
            save_png(im, os.path.join(folder, record["image"]))
            f.write(json.dumps(record, sort_keys=True) + "\n")


def all_pairs(seed, per_pattern, min_size, max_size):
    out = []
    for pattern in pairs.PATTERNS:
        for k in range(per_pattern):
            rng = sc.scene_rng(seed, "pair", pattern, k)
            size = image_size(rng, min_size, max_size)
            out.append(pairs.make_pair(rng, pattern, size, size))
    return out


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_mmvp(out, made):
    """MMVP: question 2k-1 and 2k are the same question on the two images of pair k."""
    folder = os.path.join(out, "mmvp")
    os.makedirs(os.path.join(folder, "MMVP Images"), exist_ok=True)
    questions, patterns = [], []
    with open(os.path.join(folder, "pairs.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for k, p in enumerate(made):
            index = [2 * k + 1, 2 * k + 2]
            for j in range(2):
                save_png(sc.draw(p["scenes"][j]), os.path.join(folder, "MMVP Images", f"{index[j]}.png"))
                questions.append([index[j], p["question"], p["options"], p["correct"][j]])
                patterns.append([index[j], p["mmvp"]])
            f.write(json.dumps(dict(p, index=index), sort_keys=True) + "\n")
    write_csv(os.path.join(folder, "Questions.csv"), ["Index", "Question", "Options", "Correct Answer"], questions)
    write_csv(os.path.join(folder, "patterns.csv"), ["Index", "Pattern"], patterns)


def write_mmvp_vlm(out, made):
    """MMVP-VLM: rows 2k-1 and 2k hold the statements of images 2k-1 and 2k (JPEG, as the
    benchmark ships them), in a folder per pattern."""
    folder = os.path.join(out, "mmvp_vlm")
    rows, qid = [], 1
    for p in made:
        if not p["statements"]:
            continue
        sub = os.path.join(folder, "MLLM_VLM Images", p["mmvp"])
        os.makedirs(sub, exist_ok=True)
        for j in range(2):
            sc.draw(p["scenes"][j]).save(os.path.join(sub, f"{qid}.jpg"), format="JPEG", quality=95, subsampling=0)
            rows.append([qid, p["mmvp"], p["statements"][j]])
            qid += 1
    write_csv(os.path.join(folder, "Questions.csv"), ["Question ID", "Type", "Statement"], rows)


def generate(out, seed=0, n_train=5000, n_test=500, per_pattern=15, min_size=64, max_size=96):
    if not 64 <= min_size <= max_size <= 96:
        raise ValueError("image sides must be within 64..96 and min <= max")
    os.makedirs(out, exist_ok=True)
    write_split(out, seed, "train", n_train, min_size, max_size)
    write_split(out, seed, "test", n_test, min_size, max_size)
    made = all_pairs(seed, per_pattern, min_size, max_size)
    write_mmvp(out, made)
    write_mmvp_vlm(out, made)
    manifest = {"generator": "facet shapes world", "version": VERSION, "seed": seed, "train": n_train,
                "test": n_test, "pairs_per_pattern": per_pattern, "mmvp_pairs": len(made),
                "mmvp_vlm_pairs": sum(1 for p in made if p["statements"]), "min_size": min_size,
                "max_size": max_size, "held_out": [list(h) for h in HELD_OUT]}
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train", type=int, default=5000, help="training images")
    ap.add_argument("--test", type=int, default=500, help="held-out test images")
    ap.add_argument("--pairs", type=int, default=15, help="MMVP pairs per pattern")
    ap.add_argument("--min-size", type=int, default=64)
    ap.add_argument("--max-size", type=int, default=96)
    args = ap.parse_args(argv)
    m = generate(args.out, args.seed, args.train, args.test, args.pairs, args.min_size, args.max_size)
    print(f"wrote {m['train']} train, {m['test']} test images, {m['mmvp_pairs']} MMVP pairs "
          f"({m['mmvp_vlm_pairs']} MMVP-VLM) to {args.out}")


if __name__ == "__main__":
    main()
