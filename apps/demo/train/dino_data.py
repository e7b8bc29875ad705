"""Shapes-world pictures as demo-dino sees them: CLIPImageProcessor's preprocessing (shortest edge to
`size` bicubic, center crop, CLIP mean/std), the preprocessing Interleaved-MoF gives DINOv2 (it
receives the CLIP-preprocessed image), parametrised by size so the same code serves any CLIP folder."""
import itertools
import json
import os

import numpy as np
import torch
from PIL import Image

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


def processor(size, kind="CLIPImageProcessor"):
    return {"crop_size": {"height": size, "width": size}, "do_center_crop": True, "do_convert_rgb": True,
            "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN,
            "image_processor_type": kind, "image_std": STD, "resample": 3, "rescale_factor": 1 / 255,
            "size": {"shortest_edge": size}}


def geometry(w, h, size):
    """(scale, left, top, resized width, resized height): a source pixel x maps to x * scale - left
    in the crop."""
    rw, rh = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
    return size / min(w, h), (rw - size) // 2, (rh - size) // 2, rw, rh


def load(path, size):
    """uint8 [3, size, size] and the source (width, height)."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    _, left, top, rw, rh = geometry(w, h, size)
    im = im.resize((rw, rh), resample=Image.BICUBIC).crop((left, top, left + size, top + size))
    return torch.from_numpy(np.asarray(im, dtype=np.uint8).transpose(2, 0, 1).copy()), (w, h)


def normalize(u8):
    x = u8.float() / 255
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def read_manifest(data):
    with open(os.path.join(data, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def read_split(data, split, size, limit=None):
    """(records, uint8 pixels [n, 3, size, size])."""
    with open(os.path.join(data, split, "records.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line in itertools.islice(f, limit)]
    pixels = torch.stack([load(os.path.join(data, split, r["image"]), size)[0] for r in records])
    return records, pixels
