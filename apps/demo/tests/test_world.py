"""Tests of the shapes world (apps/demo/world) and of train_clip.py.

  /usr/bin/python3 -m unittest apps/demo/tests/test_world.py      (or run this file)

Needs PIL, numpy and torch (Debian: python3-pil python3-numpy python3-torch); no GPU. The answers
are checked by a solver written here from the question text and the scene record alone, and the
boxes and orientations against the drawn pixels."""
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

DEMO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(DEMO))
sys.path.insert(0, DEMO)
sys.path.insert(0, os.path.join(DEMO, "train"))

from world import generate, language, pairs, scene as sc  # noqa: E402

# sha256 of the records and pixels of generate.item(7, split, i) for the first 6 items of each
# split and of the first pair of every pattern (see digest()). It changes only when the world
# does: regenerate datasets and models, bump generate.VERSION, then update this value.
EXPECTED_DIGEST = "5a9e6ef698d40f97f85c9e378d475f2342b6f6f9697fc56f08abf42c1da92548"

CELL_WORDS = {(0, 0): "at the top left", (0, 1): "at the top", (0, 2): "at the top right",
              (1, 0): "on the left", (1, 1): "in the center", (1, 2): "on the right",
              (2, 0): "at the bottom left", (2, 1): "at the bottom", (2, 2): "at the bottom right"}
NUMBER = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def digest():
    h = hashlib.sha256()
    for split in ("train", "test"):
        for i in range(6):
            record, im = generate.item(7, split, i, 64, 96)
            h.update(json.dumps(record, sort_keys=True).encode())
            h.update(im.tobytes())
    for p in generate.all_pairs(7, 1, 64, 96):
        h.update(json.dumps(p, sort_keys=True).encode())
        for s in p["scenes"]:
            h.update(sc.draw(s).tobytes())
    return h.hexdigest()


def some_records(n=120, seed=3):
    return [generate.item(seed, split, i, 64, 96) for split in ("train", "test") for i in range(n // 2)]


def where(o, scene):
    row = min(2, int(o["centre"][1] * 3 // scene["height"]))
    col = min(2, int(o["centre"][0] * 3 // scene["width"]))
    return CELL_WORDS[(row, col)]


def resolve(scene, ref):
    """The one object 'the small red arrow' (any of size, colour, shape) names."""
    words = ref.split()
    assert words[0] == "the", ref
    found = [o for o in scene["objects"] if all(w in (o["size"], o["colour"], o["shape"]) for w in words[1:])]
    assert len(found) == 1, f"'{ref}' names {len(found)} objects"
    return found[0]


def solve(scene, q):
    """The answer to a question of the world, derived here from the record."""
    objs = scene["objects"]
    m = re.fullmatch(r"What colour is (the [a-z ]+)\?", q)
    if m:
        return resolve(scene, m[1])["colour"]
    m = re.fullmatch(r"What shape is the ([a-z]+) object\?", q)
    if m:
        found = [o for o in objs if o["colour"] == m[1]]
        assert len(found) == 1
        return found[0]["shape"]
    m = re.fullmatch(r"How many objects are there\?", q)
    if m:
        return [k for k, v in NUMBER.items() if v == len(objs)][0]
    m = re.fullmatch(r"How many ([a-z]+)s are there\?", q)
    if m:
        n = sum(o["shape"] == m[1] for o in objs)
        return [k for k, v in NUMBER.items() if v == n][0]
    m = re.fullmatch(r"Where is (the [a-z ]+)\?", q)
    if m:
        return where(resolve(scene, m[1]), scene)
    m = re.fullmatch(r"Which way is (the [a-z ]+) pointing\?", q)
    if m:
        return resolve(scene, m[1])["orientation"]
    m = re.fullmatch(r"Is (the [a-z ]+) left of (the [a-z ]+)\?", q)
    if m:
        a, b = resolve(scene, m[1]), resolve(scene, m[2])
        return "yes" if a["box"][2] <= b["box"][0] else "no"
    m = re.fullmatch(r"Is (the [a-z ]+) above (the [a-z ]+)\?", q)
    if m:
        a, b = resolve(scene, m[1]), resolve(scene, m[2])
        return "yes" if a["box"][3] <= b["box"][1] else "no"
    m = re.fullmatch(r"Is there an? ([a-z]+) ([a-z]+)\?", q)
    if m:
        return "yes" if any(o["colour"] == m[1] and o["shape"] == m[2] for o in objs) else "no"
    m = re.fullmatch(r"Is (the [a-z ]+) small or large\?", q)
    if m:
        return resolve(scene, m[1])["size"]
    raise AssertionError(f"no rule for question '{q}'")


def parse_boxes(answer):
    """[(phrase, [x1, y1, x2, y2])] from Shikra-style text, phrases cut at punctuation or boxes."""
    out, last = [], 0
    for m in re.finditer(r"\[([0-9.]+),([0-9.]+),([0-9.]+),([0-9.]+)\]", answer):
        text = answer[last:m.start()]
        text = re.split(r"[.,;:!?\n]", text)[-1].strip()
        out.append((text, [float(v) for v in m.groups()]))
        last = m.end()
    return out


def pixel_box(im, rgb, box):
    """Tight box of the pixels of colour rgb within box grown by one pixel, or None."""
    a = np.asarray(im)
    x1, y1 = max(0, box[0] - 1), max(0, box[1] - 1)
    x2, y2 = min(a.shape[1], box[2] + 1), min(a.shape[0], box[3] + 1)
    hit = np.all(a[y1:y2, x1:x2] == np.array(rgb, dtype=np.uint8), axis=2)
    ys, xs = np.nonzero(hit)
    if len(xs) == 0:
        return None, hit
    return [x1 + int(xs.min()), y1 + int(ys.min()), x1 + int(xs.max()) + 1, y1 + int(ys.max()) + 1], hit


class WorldTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.records = some_records()

    def test_digest_is_the_committed_one(self):
        self.assertEqual(digest(), EXPECTED_DIGEST, "the world's records or pixels changed (a generator edit or "
                         "another Pillow rasteriser); if meant, bump generate.VERSION and set EXPECTED_DIGEST")

    def test_same_seed_same_files(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            for out in (a, b):
                generate.generate(out, seed=5, n_train=6, n_test=3, per_pattern=1)
            names = []
            for root, _, files in os.walk(a):
                names += [os.path.relpath(os.path.join(root, f), a) for f in files]
            self.assertGreater(len(names), 20)
            for n in names:
                with open(os.path.join(a, n), "rb") as fa, open(os.path.join(b, n), "rb") as fb:
                    self.assertEqual(fa.read(), fb.read(), n)
            other = generate.item(6, "train", 0, 64, 96)[0]
            self.assertNotEqual(other["scene"], generate.item(5, "train", 0, 64, 96)[0]["scene"])

    def test_boxes_are_inside_and_match_the_pixels(self):
        for record, im in self.records:
            s = record["scene"]
            self.assertEqual(im.size, (s["width"], s["height"]))
            self.assertTrue(64 <= s["width"] <= 96)
            self.assertTrue(1 <= len(s["objects"]) <= 4)
            for o in s["objects"]:
                x1, y1, x2, y2 = o["box"]
                self.assertTrue(0 <= x1 < x2 <= s["width"] and 0 <= y1 < y2 <= s["height"], o)
                self.assertTrue(x1 <= o["centre"][0] <= x2 and y1 <= o["centre"][1] <= y2)
                self.assertEqual(list(sc.COLOURS[o["colour"]]), o["rgb"])
                got, _ = pixel_box(im, o["rgb"], o["box"])
                self.assertEqual(got, o["box"], f"{record['id']}: {o}")
            # Nothing but the objects is drawn.
            a = np.asarray(im).reshape(-1, 3)
            colours = {tuple(o["rgb"]) for o in s["objects"]} | {tuple(s["background"])}
            self.assertEqual({tuple(c) for c in np.unique(a, axis=0)}, colours)

    def test_orientation_matches_the_drawing(self):
        # Around the drawing centre: an arrow is widest across its front half (the head), a
        # triangle across its back half; a semicircle reaches farther forward (the round side)
        # than back (the flat side); a crescent has its mass behind (the bite is in front).
        checked = 0
        for record, im in self.records:
            for o in record["scene"]["objects"]:
                if not o["orientation"]:
                    continue
                _, hit = pixel_box(im, o["rgb"], o["box"])
                ys, xs = np.nonzero(hit)
                x = xs + max(0, o["box"][0] - 1) + 0.5 - o["centre"][0]
                y = ys + max(0, o["box"][1] - 1) + 0.5 - o["centre"][1]
                dx, dy = sc.DIRECTIONS[o["orientation"]]
                t, u = x * dx + y * dy, -x * dy + y * dx
                why = f"{record['id']}: {o}"
                if o["shape"] == "crescent":
                    self.assertLess(t.mean(), -0.3, why)
                elif o["shape"] == "semicircle":
                    self.assertGreater(t.max() + t.min(), 0.5, why)
                else:
                    front, back = np.ptp(u[t > 0]), np.ptp(u[t < 0])
                    self.assertGreater(front - back if o["shape"] == "arrow" else back - front, 1.0, why)
                checked += 1
        self.assertGreater(checked, 20)

    def test_every_answer_is_derivable(self):
        kinds = set()
        for record, _ in self.records:
            s = record["scene"]
            for qa in record["questions"]:
                self.assertEqual(solve(s, qa["question"]), qa["answer"], f"{record['id']}: {qa}")
                kinds.add(qa["type"])
        self.assertEqual(kinds, set(language.QUESTION_TYPES))

    def test_grounded_answers_name_and_box_the_objects(self):
        for record, _ in self.records:
            s = record["scene"]
            for g in record["grounding"]:
                found = parse_boxes(g["answer"])
                if g["type"] == "all":
                    self.assertEqual(len(found), len(s["objects"]))
                m = re.fullmatch(r"Find every ([a-z]+)\.", g["question"])
                if m:
                    self.assertEqual(len(found), sum(o["shape"] == m[1] for o in s["objects"]), g)
                for text, box in found:
                    self.assertTrue(all(re.fullmatch(r"[01]\.\d{3}", v) for v in re.findall(r"[0-9.]+", g["answer"])
                                        if "." in v and v != "."))
                    words = text.split()
                    self.assertIn(words[0], ("a", "an", "the"), g)
                    match = [o for o in s["objects"] if all(w in (o["colour"], o["shape"], o["size"]) for w in words[1:])
                             and abs(o["box"][0] / s["width"] - box[0]) < 6e-4 and abs(o["box"][1] / s["height"] - box[1]) < 6e-4
                             and abs(o["box"][2] / s["width"] - box[2]) < 6e-4 and abs(o["box"][3] / s["height"] - box[3]) < 6e-4]
                    self.assertEqual(len(match), 1, f"{record['id']}: '{text}' {box}")

    def test_captions_mention_every_object(self):
        for record, _ in self.records:
            objs = record["scene"]["objects"]
            c = record["captions"]
            for o in objs:
                self.assertIn(f"{o['colour']} {o['shape']}", c["list"])
                if o["orientation"]:
                    self.assertIn(f"{o['shape']} pointing {o['orientation']}", c["detail"])
            n = sum(NUMBER[w] for w in re.findall(r"\b(one|two|three|four)\b", c["count"]))
            self.assertEqual(n, len(objs))

    def test_held_out_combinations_never_train(self):
        held = {tuple(h) for h in generate.HELD_OUT}
        for record, _ in self.records:
            if record["id"].startswith("train"):
                self.assertFalse({(o["colour"], o["shape"]) for o in record["scene"]["objects"]} & held)


def differences(a, b):
    """Attribute names that differ between two scenes (objects matched by index; one object more
    or less is 'count')."""
    if len(a["objects"]) != len(b["objects"]):
        short, long_ = sorted([a["objects"], b["objects"]], key=len)
        # The shorter list must be the longer one with one object taken out.
        rest = [any(o == p for p in short) for o in long_]
        return {"count"} if len(long_) == len(short) + 1 and rest.count(False) == 1 else {"several"}
    out = set()
    for o, p in zip(a["objects"], b["objects"]):
        for k in ("shape", "colour", "size", "orientation"):
            if o[k] != p[k]:
                out.add(k)
        if where(o, a) != where(p, b):
            out.add("position")
    return out


class PairTest(unittest.TestCase):
    def test_pairs_differ_in_one_pattern_and_the_question_tells_them_apart(self):
        expect = {"orientation": {"orientation"}, "colour": {"colour"}, "size": {"size"}, "position": {"position"},
                  "count": {"count"}, "presence": {"count"}}
        made = generate.all_pairs(11, 6, 64, 96)
        self.assertEqual(len(made), 6 * len(pairs.PATTERNS))
        for p in made:
            a, b = p["scenes"]
            self.assertEqual(differences(a, b), expect[p["pattern"]], p)
            answers = [solve(s, p["question"]) for s in (a, b)]
            self.assertNotEqual(answers[0], answers[1])
            options = dict(re.findall(r"\((\w)\) ([^(]+?)(?= \(|$)", p["options"]))
            self.assertEqual(sorted(options.values()), sorted(answers), p["options"])
            for j in range(2):
                self.assertEqual(options[p["correct"][j][1]], answers[j])
            if p["statements"]:
                self.assertNotEqual(p["statements"][0], p["statements"][1])

    def test_benchmark_layouts(self):
        with tempfile.TemporaryDirectory() as out:
            generate.generate(out, seed=2, n_train=2, n_test=2, per_pattern=2)
            with open(os.path.join(out, "mmvp", "Questions.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            with open(os.path.join(out, "mmvp", "patterns.csv"), newline="") as f:
                pats = list(csv.DictReader(f))
            self.assertEqual(len(rows), 2 * 2 * len(pairs.PATTERNS))
            self.assertEqual([r["Index"] for r in rows], [str(i + 1) for i in range(len(rows))])
            self.assertEqual([p["Index"] for p in pats], [r["Index"] for r in rows])
            for r1, r2 in zip(rows[0::2], rows[1::2]):
                self.assertEqual((r1["Question"], r1["Options"]), (r2["Question"], r2["Options"]))
                self.assertEqual({r1["Correct Answer"], r2["Correct Answer"]}, {"(a)", "(b)"})
            for r in rows:
                self.assertTrue(os.path.isfile(os.path.join(out, "mmvp", "MMVP Images", r["Index"] + ".png")))
            with open(os.path.join(out, "mmvp_vlm", "Questions.csv"), newline="") as f:
                vlm = list(csv.DictReader(f))
            self.assertGreater(len(vlm), 0)
            self.assertEqual(len(vlm) % 2, 0)
            for k, r in enumerate(vlm):
                self.assertEqual(r["Question ID"], str(k + 1))
                self.assertTrue(os.path.isfile(os.path.join(out, "mmvp_vlm", "MLLM_VLM Images", r["Type"],
                                                            r["Question ID"] + ".jpg")))
            for r1, r2 in zip(vlm[0::2], vlm[1::2]):
                self.assertEqual(r1["Type"], r2["Type"])
                self.assertIn(r1["Type"], pairs.PATTERNS.values())


class TrainClipTest(unittest.TestCase):
    def test_three_steps_from_scratch_write_a_loadable_clip(self):
        import torch

        import hf_io
        import train_clip
        from clip_model import CLIPModel

        sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
        import reference_vision as ref  # an independent reference of Hugging Face's CLIP

        with tempfile.TemporaryDirectory() as tmp:
            data, out = os.path.join(tmp, "world"), os.path.join(tmp, "demo-clip")
            generate.generate(data, seed=1, n_train=24, n_test=12, per_pattern=1)
            run = subprocess.run([sys.executable, os.path.join(DEMO, "train", "train_clip.py"), "--data", data,
                                  "--out", out, "--steps", "3", "--batch", "8"], capture_output=True, text=True,
                                 timeout=300)
            self.assertEqual(run.returncode, 0, run.stderr)
            for name in ("config.json", "model.safetensors", "preprocessor_config.json", "tokenizer.json",
                         "tokenizer_config.json", "README.md", "metrics.json"):
                self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
            with open(os.path.join(out, "config.json")) as f:
                cfg = json.load(f)
            self.assertEqual(cfg["model_type"], "clip")
            w = hf_io.load_safetensors(os.path.join(out, "model.safetensors"))
            model = CLIPModel(cfg)
            model.load_state_dict(w, strict=True)  # every name and shape as CLIPModel has them
            with open(os.path.join(out, "metrics.json")) as f:
                self.assertEqual(json.load(f)["steps"], 3)
            # The written tokenizer.json gives the ids training used.
            with open(os.path.join(out, "tokenizer.json")) as f:
                tj = json.load(f)
            tok = train_clip.world_tokenizer()
            self.assertEqual(tj["model"]["vocab"], tok.vocab)
            ids = tok.encode("a photo of an orange arrow pointing up-left.")
            self.assertEqual(len(ids), 13)  # bos a photo of an orange arrow pointing up - left . eos
            # Both towers agree with the reference of transformers' CLIP.
            vcfg = dict(cfg["vision_config"])
            px = train_clip.normalize(train_clip.load_pixels(os.path.join(data, "test", "images", "000000.png"))[None])
            with torch.no_grad():
                ours = model.image_embeds(px)[0]
                theirs = ref.clip_vision(w, vcfg, px[0])["embeds"]
                self.assertLess((ours - theirs).abs().max().item(), 1e-4)
                ours = model.text_embeds(torch.tensor([ids]))[0]
                theirs = ref.clip_text(w, cfg["text_config"], ids)["embeds"]
                self.assertLess((ours - theirs).abs().max().item(), 1e-4)


if __name__ == "__main__":
    unittest.main()
