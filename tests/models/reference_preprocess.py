"""A reference of Hugging Face's image loading and PIL-based image processors, written for
Facet's tests: transformers' load_image (EXIF transpose) and convert_to_rgb (alpha composite on
white), then CLIPImageProcessor / BitImageProcessor: resize the shortest edge with PIL, center
crop (zero padding when the crop is larger), rescale in float64 -> float32, normalize in float32.
Only PIL and numpy are needed (Debian: python3-pil, python3-numpy)."""
import json
import math

import numpy as np
from PIL import Image, ImageOps

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def load_rgb(path):
    im = Image.open(path)
    im = ImageOps.exif_transpose(im)
    if im.mode != "RGB":
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255))
        im = Image.alpha_composite(white, rgba).convert("RGB")
    return im


def resize_target(height, width, cfg):
    size = cfg.get("size", {"shortest_edge": 224})
    if isinstance(size, int):
        size = {"shortest_edge": size}
    if "height" in size:
        return size["height"], size["width"]
    edge = size["shortest_edge"]
    if cfg.get("use_square_size"):  # CLIPImageProcessor's Kosmos-2 compatibility: an exact square
        return edge, edge
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(edge * long / short)
    return (new_long, edge) if width <= height else (edge, new_long)


def center_crop(arr, ch, cw):
    h, w = arr.shape[:2]
    top, left = (h - ch) // 2, (w - cw) // 2
    if top >= 0 and left >= 0 and top + ch <= h and left + cw <= w:
        return arr[top:top + ch, left:left + cw]
    nh, nw = max(ch, h), max(cw, w)
    padded = np.zeros((nh, nw, 3), dtype=arr.dtype)
    tp, lp = math.ceil((nh - h) / 2), math.ceil((nw - w) / 2)
    padded[tp:tp + h, lp:lp + w] = arr
    top, left = top + tp, left + lp
    return padded[max(0, top):min(nh, top + ch), max(0, left):min(nw, left + cw)]


def preprocess(im, cfg):
    """f32 [3, H, W] pixel values."""
    if cfg.get("do_resize", True):
        h, w = resize_target(im.height, im.width, cfg)
        im = im.resize((w, h), resample=cfg.get("resample", 3))
    arr = np.array(im)
    if cfg.get("do_center_crop", True):
        crop = cfg.get("crop_size", 224)
        ch, cw = (crop, crop) if isinstance(crop, int) else (crop["height"], crop["width"])
        arr = center_crop(arr, ch, cw)
    x = arr.astype(np.float32)
    if cfg.get("do_rescale", True):
        x = (arr.astype(np.float64) * cfg.get("rescale_factor", 1 / 255)).astype(np.float32)
    if cfg.get("do_normalize", True):
        mean = np.array(cfg.get("image_mean", CLIP_MEAN), dtype=np.float32)
        std = np.array(cfg.get("image_std", CLIP_STD), dtype=np.float32)
        x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def preprocess_file(path, config_path):
    with open(config_path) as f:
        cfg = json.load(f)
    return preprocess(load_rgb(path), cfg)
