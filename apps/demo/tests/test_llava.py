"""Tests of demo-llava and demo-mof: their training script from scratch (a few steps, tiny sizes) and
the committed models' accuracy bars measured through the facet CLI on a fixed held-out set.

  FACET=build/bin/facet /usr/bin/python3 -m unittest -v test_llava          (from apps/demo/tests)

ctest runs the classes as demo.llava_train, demo.llava_bars and demo.mof_bars. Needs PIL, numpy,
torch; FACET names the facet binary (its plugins beside it)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

DEMO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(DEMO))
sys.path.insert(0, os.path.join(DEMO, "train"))

import llava_eval  # noqa: E402
from llava_tokenizer import Tokenizer  # noqa: E402

PY = sys.executable
FACET = os.environ.get("FACET", os.path.join(ROOT, "build", "bin", "facet"))
MODELS = os.path.join(DEMO, "models")
# The fixed held-out set: the first items of each type in the test split of the world of seed 0
# (generate.py's items depend on seed, split and index only, so 40 test images are the same 40
# as in the 500 the cards were measured on).
TEST_IMAGES = 40
PER_TYPE = 10
BOXES = 10


def generate(out, train, test, pairs):
    subprocess.run([PY, os.path.join(DEMO, "world", "generate.py"), "--out", out, "--seed", "0", "--train",
                    str(train), "--test", str(test), "--pairs", str(pairs)], check=True, capture_output=True)


def facet(*args):
    out = subprocess.run([FACET, "-q"] + list(args), capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(f"facet {' '.join(args)} failed ({out.returncode}): {out.stderr}")
    return out.stdout


def tokenizer_of(folder):
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        t = json.load(f)
    return Tokenizer([m.split(" ") for m in t["model"]["merges"]])


class LlavaTrainTest(unittest.TestCase):
    """train_llava.py from scratch for 2 steps at toy sizes writes folders Facet runs."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.world = os.path.join(cls.tmp.name, "world")
        generate(cls.world, 12, 4, 1)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def train(self, out, *extra):
        subprocess.run([PY, os.path.join(DEMO, "train", "train_llava.py"), "--data", self.world, "--pairs", self.world,
                        "--clip", os.path.join(MODELS, "demo-clip"), "--out", out, "--steps", "2", "--batch", "2",
                        "--hidden", "32", "--layers", "1", "--heads", "2", "--ff", "64", "--turns", "2"] + list(extra),
                       check=True, capture_output=True)

    def test_llava_hf_folder(self):
        out = os.path.join(self.tmp.name, "llava")
        self.train(out)
        for name in ("config.json", "model.safetensors", "preprocessor_config.json", "tokenizer.json",
                     "tokenizer_config.json", "generation_config.json"):
            self.assertTrue(os.path.exists(os.path.join(out, name)), name)
        with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        self.assertEqual(cfg["model_type"], "llava")
        self.assertEqual(cfg["vision_feature_layer"], -2)
        # Python's ids (what training saw) are Facet's for a prompt in LLaVA-1.5's template.
        tok = tokenizer_of(out)
        text = "USER: <image>\nWhat colour is the small arrow? ASSISTANT: red [0.125,0.250,0.375,1.000]."
        got = json.loads(facet("tokenize", "--model", out, "--text", text, "--json", "--parse-special"))["ids"]
        self.assertEqual(got, tok.encode(text))
        answer = "a red circle [0.125,0.250,0.375,1.000], a blue arrow [0.600,0.100,0.850,0.300]."
        self.assertEqual(tok.decode(tok.continuation(" " + answer)), answer)
        image = os.path.join(self.world, "test", "images", "000000.png")
        facet("run", "--model", out, "--image", image, "--prompt", "What colour is the arrow?", "--max-tokens", "3")

    @unittest.skipUnless(os.path.exists(os.path.join(MODELS, "demo-dino", "config.json")), "no demo-dino")
    def test_mof_folder(self):
        out = os.path.join(self.tmp.name, "models", "demo-mof")
        os.makedirs(os.path.dirname(out))
        # The pipeline names ../demo-clip and ../demo-dino: link them beside the trained folder.
        for name in ("demo-clip", "demo-dino"):
            os.symlink(os.path.join(MODELS, name), os.path.join(self.tmp.name, "models", name))
        self.train(out, "--dino", os.path.join(MODELS, "demo-dino"))
        with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["model_type"], "llava_llama")
        image = os.path.join(self.world, "test", "images", "000000.png")
        facet("run", os.path.join(out, "pipeline.toml"), "--image", image, "--prompt", "What colour is the arrow?",
              "--max-tokens", "3")


class Bars:
    """The issue's bars through the facet CLI on the fixed held-out set."""
    target = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.world = os.path.join(cls.tmp.name, "world")
        generate(cls.world, 0, TEST_IMAGES, 1)
        args = type("A", (), {})()
        args.facet, args.data, args.model, args.pipeline = FACET, cls.world, None, None
        setattr(args, cls.target[0], cls.target[1])
        args.types, args.per_type, args.ground = llava_eval.TYPES, PER_TYPE, BOXES
        cls.result = llava_eval.evaluate(args)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_colour_and_shape(self):
        for kind in ("colour", "shape"):
            self.assertEqual(self.result["answers"][kind]["n"], PER_TYPE)
            self.assertGreaterEqual(self.result["answers"][kind]["exact"], 0.95, kind)

    def test_count_and_position(self):
        for kind in ("count", "position"):
            self.assertEqual(self.result["answers"][kind]["n"], PER_TYPE)
            self.assertGreaterEqual(self.result["answers"][kind]["exact"], 0.85, kind)

    def test_boxes(self):
        self.assertEqual(self.result["boxes"]["n"], BOXES)
        self.assertGreaterEqual(self.result["boxes"]["iou_at_least_0.5"], 0.85)


class LlavaBarsTest(Bars, unittest.TestCase):
    target = ("model", os.path.join(MODELS, "demo-llava"))


class MofBarsTest(Bars, unittest.TestCase):
    target = ("pipeline", os.path.join(MODELS, "demo-mof", "pipeline.toml"))


if __name__ == "__main__":
    unittest.main()
