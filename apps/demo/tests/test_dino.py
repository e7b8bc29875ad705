"""Tests of demo-dino (apps/demo/train/train_dino.py and apps/demo/models/demo-dino).

  FACET_BIN=build/bin/facet /usr/bin/python3 -m unittest -v test_dino      (in apps/demo/tests)

TrainDinoTest (ctest demo.dino.train): a few steps from scratch write a Dinov2Model folder whose
names and shapes are Hugging Face's, whose forward equals the independent reference of
tests/models/reference_vision.py, and that `facet embed` loads.
CommittedDinoTest (ctest demo.dino.model, label demo): `facet embed` of the committed weights equals
their PyTorch forward, and on a small fixed world `facet mine-pairs` with demo-clip finds
CLIP-blind pairs among the generator's orientation pairs.

FACET_BIN names the facet binary (default build/bin/facet); FACET_PRELOAD, when set, becomes
facet's LD_PRELOAD (the sanitizer leg's ASan runtime must not reach this interpreter)."""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

DEMO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(DEMO))
sys.path.insert(0, DEMO)
sys.path.insert(0, os.path.join(DEMO, "train"))
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))

import dino_data  # noqa: E402
import hf_io  # noqa: E402
import reference_vision as ref  # noqa: E402  an independent reference of Hugging Face's Dinov2Model
from dino_model import Dinov2Model  # noqa: E402
from world import generate  # noqa: E402

FACET = os.environ.get("FACET_BIN", os.path.join(ROOT, "build", "bin", "facet"))
MODEL = os.path.join(DEMO, "models", "demo-dino")
CLIP = os.path.join(DEMO, "models", "demo-clip")
MINE_IMAGES = 80  # test pictures mined in CommittedDinoTest
MIN_MINED = 2  # PyTorch finds 2 with demo-clip v1 (48 px; facet lists a 3rd within 1e-3 of a threshold), 8 with v2 (64 px)


def facet(*args):
    env = dict(os.environ, LD_PRELOAD=os.environ.get("FACET_PRELOAD", ""))
    run = subprocess.run([FACET, "--quiet", *args], capture_output=True, text=True, env=env, timeout=600)
    if run.returncode != 0:
        raise AssertionError(f"facet {' '.join(args)} exited {run.returncode}: {run.stderr}")
    return run.stdout


def torch_forward(folder, image):
    """(embeds [D], last-layer patch tokens before the final norm [N, D]) of a picture."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    model = Dinov2Model(cfg)
    model.load_state_dict({k: v.float() for k, v in hf_io.load_safetensors(os.path.join(folder, "model.safetensors")).items()},
                          strict=True)
    u8, _ = dino_data.load(image, cfg["image_size"])
    with torch.no_grad():
        h, y = model(dino_data.normalize(u8[None]))
    return y[0, 0], h[0, 1:], cfg, model


def facet_embed(folder, image, tmp, *extra):
    out = os.path.join(tmp, "e.npy")
    facet("embed", "--model", folder, "--image", image, "--out", out, *extra)
    return torch.from_numpy(np.load(out))


class TrainDinoTest(unittest.TestCase):
    def test_three_steps_from_scratch_write_a_folder_facet_loads(self):
        with tempfile.TemporaryDirectory() as tmp:
            data, out = os.path.join(tmp, "world"), os.path.join(tmp, "demo-dino")
            generate.generate(data, seed=1, n_train=24, n_test=4, per_pattern=1)
            run = subprocess.run([sys.executable, os.path.join(DEMO, "train", "train_dino.py"), "--data", data,
                                  "--out", out, "--steps", "3", "--batch", "8", "--log-every", "1"],
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(run.returncode, 0, run.stderr)
            for name in ("config.json", "model.safetensors", "preprocessor_config.json", "README.md", "metrics.json"):
                self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
            with open(os.path.join(out, "metrics.json")) as f:
                self.assertEqual(len(json.load(f)["log"]), 3)
            with open(os.path.join(out, "preprocessor_config.json")) as f:
                pre = json.load(f)
            self.assertEqual(pre["image_mean"], dino_data.MEAN)  # CLIP's, as MoF hands DINOv2 the CLIP image
            self.assertEqual(pre["crop_size"], {"height": 64, "width": 64})
            image = os.path.join(data, "test", "images", "000000.png")
            embeds, patches, cfg, model = torch_forward(out, image)
            self.assertEqual((cfg["image_size"], cfg["patch_size"]), (64, 8))
            self.assertEqual(patches.shape[0], 64)  # the 8 x 8 grid of demo-clip v2
            w = {k: v.float() for k, v in hf_io.load_safetensors(os.path.join(out, "model.safetensors")).items()}
            cfg_ref = dict(cfg, use_swiglu_ffn=False)
            theirs = ref.dinov2(w, cfg_ref, dino_data.normalize(dino_data.load(image, 64)[0][None])[0])
            self.assertLess((embeds - theirs["embeds"]).abs().max().item(), 1e-4)
            self.assertLess((patches - theirs["hidden"][-1][1:]).abs().max().item(), 1e-4)
            if not os.path.exists(FACET):
                self.skipTest(f"no facet binary at {FACET}")
            got = facet_embed(out, image, tmp)
            self.assertEqual(tuple(got.shape), (1, cfg["hidden_size"]))
            self.assertLess((got[0] - embeds).abs().max().item(), 1e-4)


class CommittedDinoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(FACET):
            raise unittest.SkipTest(f"no facet binary at {FACET}")

    def test_facet_embed_equals_the_pytorch_forward(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(os.listdir(os.path.join(DEMO, "images")))[:2]:
                image = os.path.join(DEMO, "images", name)
                embeds, patches, _, _ = torch_forward(MODEL, image)
                got = facet_embed(MODEL, image, tmp)
                self.assertLess((got[0] - embeds).abs().max().item(), 1e-4, name)
                got = facet_embed(MODEL, image, tmp, "--output", "hidden:-1", "--tokens", "patch")
                self.assertEqual(tuple(got.shape), tuple(patches.shape))
                self.assertLess((got - patches).abs().max().item(), 1e-4, name)

    def test_mine_pairs_finds_the_clip_blind_pairs_pytorch_finds(self):
        """The card's thresholds on the first MINE_IMAGES test pictures of the card's world (the
        generator is deterministic per seed, split and index): facet mine-pairs lists some pairs, and
        the same pairs the PyTorch forwards of both committed models give (pairs within 1e-3 of a
        threshold are left out of the comparison)."""
        with open(os.path.join(MODEL, "metrics.json")) as f:
            mp = json.load(f)["evaluation"]["mine_pairs"]["test"]
        ct, dt = mp["clip_threshold"], mp["dino_threshold"]
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "world")
            generate.generate(data, seed=0, n_train=0, n_test=MINE_IMAGES, per_pattern=1)
            images = os.path.join(data, "test", "images")
            out = os.path.join(tmp, "pairs.csv")
            facet("mine-pairs", "--clip", CLIP, "--dino", MODEL, "--images", images, "--out", out,
                  "--clip-threshold", str(ct), "--dino-threshold", str(dt))
            with open(out, newline="") as f:
                got = {tuple(sorted(os.path.basename(r[k]) for k in ("image_a", "image_b"))) for r in csv.DictReader(f)}
            names = sorted(os.listdir(images))
            import dino_eval
            cos = {}
            for which, folder in (("clip", CLIP), ("dino", MODEL)):
                enc = dino_eval.Encoder(folder)
                u8 = torch.stack([dino_data.load(os.path.join(images, n), enc.size)[0] for n in names])
                e = torch.nn.functional.normalize(enc(u8)[0], dim=-1)
                cos[which] = e @ e.T
            want, near = set(), set()
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    c, d = cos["clip"][i, j].item(), cos["dino"][i, j].item()
                    pair = (names[i], names[j])
                    if abs(c - ct) < 1e-3 or abs(d - dt) < 1e-3:
                        near.add(pair)
                    elif c > ct and d < dt:
                        want.add(pair)
            print(f"{len(got)} pairs mined, {len(want)} by PyTorch, {len(near)} near a threshold", file=sys.stderr)
            self.assertGreaterEqual(len(want), MIN_MINED)
            self.assertEqual(got - near, want)
