"""The shapes world as LLaVA training data: conversations per image (questions, a caption, grounded
answers, multiple-choice questions), their token ids in LLaVA-1.5's template, and the frozen
towers' features (CLIP's penultimate layer, DINOv2's last layer before its norm; patch tokens)."""
import csv
import hashlib
import json
import os
import re
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "models"))

import hf_io  # noqa: E402
import train_clip  # noqa: E402
from clip_model import CLIPModel  # noqa: E402

DESCRIBE = "Describe the image."
# facet ground's default request for Shikra-style models (core/llm/grounded_answer.cpp).
GROUND_DEFAULT = "Describe the image and give the bounding box of each object you mention."
LISTING = ("describe", "all", "find", "locate")
MC_TYPES = ("colour", "shape", "count", "total", "position", "orientation", "relation", "presence", "size")

MOF_PIPELINE = """# demo-mof: LLaVA-1.5 with the Interleaved Mixture of Features of "Eyes Wide Shut?" on the shapes
# world. demo-clip and demo-dino see the same CLIP-preprocessed image; each one's 64 patch tokens
# go through its own projector (model.mm_projector.*, model.dino_mm_projector.*) and the two
# sequences are interleaved CLIP, DINO, CLIP, ... (128 image rows). Paths are relative to this file.
schema_version = 1

[[input]]
id = "image"
type = "image"
processor = "../demo-clip"
pad_to_square = true

[[input]]
id = "ids"
type = "tokens"

[[input]]
id = "positions"
type = "positions"

[[stage]]
id = "clip"
plugin = "encoder_clip"
component = "vision"
weights = "../demo-clip"
params = { output = "hidden:-2", tokens = "patch" }
inputs = { pixels = "image" }

[[stage]]
id = "dino"
plugin = "encoder_dinov2"
component = "vision"
weights = "../demo-dino"
params = { output = "hidden:-1", tokens = "patch" }
inputs = { pixels = "image" }

[[stage]]
id = "mof"
plugin = "adapter_mof"
component = "interleaved"
weights = "."
params = { clip_prefix = "model.mm_projector.", dino_prefix = "model.dino_mm_projector." }
inputs = { clip = "clip.y", dino = "dino.y" }

[[stage]]
id = "llm"
plugin = "llm_llama"
component = "llm"
weights = "."
inputs = { ids = "ids", positions = "positions", media = "mof.y" }

[chat]
template = "vicuna"
"""


def read_records(folder, split, limit=None):
    out = []
    path = os.path.join(folder, split, "records.jsonl")
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
            if limit and len(out) >= limit:
                break
    return out


def parse_options(field):
    """"(a) down (b) left" -> ["down", "left"]."""
    return [t.strip() for t in re.split(r"\([a-z]\)", field)[1:]]


def mc_prompt(question, options, right, rng):
    """The question with its two options in a random order (MMVP's format) and the answer "(x)"."""
    opts = list(options)
    rng.shuffle(opts)
    letters = "ab"
    text = question + " " + " ".join(f"({letters[k]}) {o}" for k, o in enumerate(opts))
    return text, f"({letters[opts.index(right)]})"


def record_turns(record, index):
    """(kind, question, answer) of one record: its questions, the detail caption, the grounded
    answers (the locate question reworded, as "Where is X?" asks for a position; every other
    record's "Point to every object." asked as facet ground's default request)."""
    turns = [(q["type"], q["question"], q["answer"]) for q in record["questions"]]
    turns.append(("describe", DESCRIBE, record["captions"]["detail"] + "."))
    for g in record["grounding"]:
        q = g["question"]
        if g["type"] == "locate":
            q = "Give the bounding box of " + q[len("Where is "):-1] + "."
        elif g["type"] == "all" and index % 2:
            q = GROUND_DEFAULT
        turns.append((g["type"], q, g["answer"]))
    return turns


class World:
    def __init__(self, args, rng):
        self.args = args
        with open(os.path.join(args.data, "manifest.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        train = read_records(args.data, "train", args.limit)
        test = read_records(args.data, "test", args.limit)
        self.images = [os.path.join(args.data, "train", r["image"]) for r in train]
        self.answers = {}
        for r in train:
            for q in r["questions"]:
                self.answers.setdefault(q["type"], set()).add(q["answer"])
        self.answers = {k: sorted(v) for k, v in self.answers.items()}
        self.train = [{"image": i, "turns": record_turns(r, i), "answers": self.answers} for i, r in enumerate(train)]
        self.pair_items = []
        if args.pairs:
            folder = os.path.join(args.pairs, "mmvp")
            with open(os.path.join(folder, "Questions.csv"), encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
            if args.limit:
                rows = rows[:args.limit]
            for row in rows:
                opts = parse_options(row["Options"])
                right = opts["ab".index(row["Correct Answer"].strip()[1])]
                self.pair_items.append(len(self.train))
                self.train.append({"image": len(self.images), "pair": (row["Question"], opts, right)})
                self.images.append(os.path.join(folder, "MMVP Images", row["Index"] + ".png"))
        self.val = []
        for k, r in enumerate(test):
            i = len(self.images)
            self.images.append(os.path.join(args.data, "test", r["image"]))
            for kind, q, a in record_turns(r, k):
                self.val.append({"image": i, "type": kind, "question": q, "answer": a})
        self.rng = rng

    def texts(self):
        out = ["USER: ASSISTANT:", DESCRIBE, GROUND_DEFAULT, "There is no"]
        for c in self.train:
            if "turns" in c:
                out += [q + " " + a for _, q, a in c["turns"]]
            else:
                q, opts, _ = c["pair"]
                out += [q] + opts
        out += [v["question"] + " " + v["answer"] for v in self.val]
        return out

    def manifest_info(self):
        return {k: self.manifest[k] for k in ("seed", "train", "test", "version") if k in self.manifest}

    def features(self):
        """[N_images, 64, w] per tower, f32."""
        clip_dir = self.args.clip
        with open(os.path.join(clip_dir, "config.json"), encoding="utf-8") as f:
            clip_cfg = json.load(f)
        with open(os.path.join(clip_dir, "preprocessor_config.json"), encoding="utf-8") as f:
            self.clip_processor = json.load(f)
        weights = {k: v.float() for k, v in hf_io.load_safetensors(os.path.join(clip_dir, "model.safetensors")).items()}
        clip = CLIPModel(clip_cfg)
        clip.load_state_dict(weights)
        clip.eval()
        self.clip_vision_config = clip_cfg["vision_config"]
        self.clip_tower = {k: v for k, v in weights.items() if k.startswith("vision_model.")}
        size = self.clip_vision_config["image_size"]
        cache = None
        if getattr(self.args, "cache", None):
            # The features depend on the images and the towers' weights only.
            key = json.dumps([self.images] + [[os.path.abspath(d), os.path.getsize(os.path.join(d, "model.safetensors")),
                                                os.path.getmtime(os.path.join(d, "model.safetensors"))]
                                               for d in (clip_dir, self.args.dino) if d])
            os.makedirs(self.args.cache, exist_ok=True)
            cache = os.path.join(self.args.cache, hashlib.sha1(key.encode()).hexdigest()[:16] + ".pt")
        if cache and os.path.exists(cache):
            feats = torch.load(cache)
        else:
            pixels = torch.stack([train_clip.load_pixels(p, size) for p in self.images])
            feats = [clip_features(clip.vision_model, train_clip.normalize(pixels))]
            if self.args.dino:
                feats.append(dino_features(self.args.dino, train_clip.normalize(pixels)))
            if cache:
                torch.save(feats, cache)
        self.widths = [f.shape[-1] for f in feats]
        self.rows = sum(f.shape[1] for f in feats)
        return feats, self.widths


@torch.no_grad()
def clip_features(vision, pixels, chunk=256):
    """CLIP's hidden_states[-2] without the class token (LLaVA's vision_feature_layer -2, "default")."""
    out = []
    for s in range(0, len(pixels), chunk):
        x = vision.pre_layrnorm(vision.embeddings(pixels[s:s + chunk]))
        for layer in vision.encoder.layers[:-1]:
            x = layer(x)
        out.append(x[:, 1:])
    return torch.cat(out)


@torch.no_grad()
def dino_features(folder, pixels):
    """DINOv2's last layer's patch tokens before the final norm (the reference of tests/models)."""
    import gen_vision_models as gv
    import reference_vision as ref
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = dict(gv.DINOV2_DEFAULTS, **json.load(f))
    w = {k: v.float() for k, v in hf_io.load_safetensors(os.path.join(folder, "model.safetensors")).items()}
    skip = 1 + (w["embeddings.register_tokens"].shape[1] if "embeddings.register_tokens" in w else 0)
    out = []
    for p in pixels:
        out.append(ref.dinov2(w, cfg, p)["hidden"][-1][skip:])
    return torch.stack(out)


def segment(tok, text):
    """Ids of a stretch of template text between special tokens ("▁" prepended, as the normalizer does)."""
    return tok.encode(text, bos=False, image_token=False)


def conversation(tok, item, rng, rows, turns, max_len):
    """(ids, targets) of one multi-turn conversation about an image; targets are -100 except on
    the answers and their </s>. The image's rows sit right after "<s>▁USER:▁"."""
    if "pair" in item:
        q, opts, right = item["pair"]
        chosen = [("pair",) + mc_prompt(q, opts, right, rng)]
    else:
        pool = list(item["turns"])
        rng.shuffle(pool)
        # The answers that list the objects (caption, boxes) go last: before them, a question's
        # answer can only come from the image, not from copying an earlier answer's words.
        chosen = sorted(pool[:turns], key=lambda t: t[0] in LISTING)
        if chosen[-1][0] in LISTING and rng.random() < 0.25:
            # Now and then one of them first, where facet ground's single question is.
            chosen.insert(0, chosen.pop())
        mc = [t for t in item["turns"] if t[0] in MC_TYPES]
        if mc and rng.random() < 0.7:
            kind, q, a = rng.choice(mc)
            other = [x for x in item.get("answers", {}).get(kind, []) if x != a]
            if other:
                first = int(chosen[0][0] in LISTING)
                short = sum(t[0] not in LISTING for t in chosen)
                chosen.insert(first + rng.randrange(short + 1), ("mc",) + mc_prompt(q, [a, rng.choice(other)], a, rng))
    ids = [tok.bos] + segment(tok, "USER: ") + [tok.pad] * rows
    target = [-100] * len(ids)
    for k, (_, q, a) in enumerate(chosen):
        prompt = segment(tok, ("\n" if k == 0 else "USER: ") + q + " ASSISTANT:")
        answer = tok.continuation(" " + a) + [tok.eos]
        if k and len(ids) + len(prompt) + len(answer) > max_len:
            break
        ids += prompt + answer
        target += [-100] * len(prompt) + answer
    return ids, target


def single_turn(tok, question, answer, rows):
    ids = [tok.bos] + segment(tok, "USER: ") + [tok.pad] * rows + segment(tok, "\n" + question + " ASSISTANT:")
    ans = tok.continuation(" " + answer) + [tok.eos]
    return ids + ans, [-100] * len(ids) + ans
