#!/usr/bin/python3
"""Region features (GPT4RoI-style) on llava_tiny: a tiny region projector and the goldens of a
PyTorch reference for plugins/grounding_regions and docs/pipelines/llava-1.5-regions.toml.

  regions_tiny.safetensors   region_proj.0 [16, 128] (+ bias), region_proj.2 [16, 16] (+ bias): the
                             flattened 2 x 2 ROI-Align bins of the 32-wide CLIP patch grid -> the
                             language model's 16 (mlp2x_gelu; `projector = "linear"` uses .0 alone)
  goldens/regions/           cases.json (image, boxes in original and seen pixels, prompt ids,
                             greedy tokens), regions.mlp2x_gelu.npy and regions.linear.npy f32
                             [3, 16], prompt.logits.npy f32 [32064]

The vision tower and language model are llava_tiny's (gen_llava_models.py), rebuilt from their
seeds and rounded to f16 as stored. Features: the tower's second-to-last hidden state without CLS
(f32 [25, 32], a 5 x 5 grid on 30-pixel images). Boxes are given in pixels of photo_50x33.jpg and
mapped to the 30 x 30 image the model saw (resize to shortest edge 30: 45 x 30, center crop: 7
columns cut on the left): inside, across the image's top edge, reaching into the right crop band.
roi_align is written here from torchvision's definition (torchvision is not installed) and checked
against the torchvision 0.14 goldens of tests/data/roi_align first.

The prompt's ids come from transformers.js (gen_regions_prompt.mjs, run first):
  NODE_PATH=<folder with node_modules/@lenml/tokenizers> node gen_regions_prompt.mjs
  /usr/bin/python3 make_regions_tiny.py"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

import gen_images
import gen_llava_models as gl
import gen_vision_models as gv
import reference_preprocess as pre
import reference_vision as ref

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDENS = os.path.join(HERE, "goldens", "regions")
IMAGE = "photo_50x33.jpg"
BOXES = [[15, 8, 35, 25], [18, -5, 30, 10], [36, 5, 49, 20]]  # original pixels
POOL, SAMPLING, ALIGNED = 2, 0, True


def bilinear(x, y, xx):
    """torchvision's bilinear_interpolate on x [C, H, W] at one point (0 more than a cell outside)."""
    c, h, w = x.shape
    if y < -1.0 or y > h or xx < -1.0 or xx > w:
        return torch.zeros(c, dtype=torch.float64)
    y, xx = max(y, 0.0), max(xx, 0.0)
    y0, x0 = int(y), int(xx)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        xx = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, xx - x0
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * x[:, y0, x0] + hy * lx * x[:, y0, x1] + ly * hx * x[:, y1, x0] + ly * lx * x[:, y1, x1]


def roi_align(x, boxes, ph, pw, scale, sampling, aligned):
    """torchvision.ops.roi_align of one image: x [C, H, W], boxes [K, 4] -> [K, C, ph, pw] (f64 inside)."""
    x = x.double()
    out = torch.zeros(len(boxes), x.shape[0], ph, pw, dtype=torch.float64)
    off = 0.5 if aligned else 0.0
    for k, b in enumerate(boxes.double().tolist()):
        x1, y1, x2, y2 = (v * scale - off for v in b)
        bw, bh = x2 - x1, y2 - y1
        if not aligned:
            bw, bh = max(bw, 1.0), max(bh, 1.0)
        bin_h, bin_w = bh / ph, bw / pw
        gh = sampling if sampling > 0 else math.ceil(bh / ph)
        gw = sampling if sampling > 0 else math.ceil(bw / pw)
        count = max(gh * gw, 1)
        for i in range(ph):
            for j in range(pw):
                acc = torch.zeros(x.shape[0], dtype=torch.float64)
                for iy in range(gh):
                    yy = y1 + i * bin_h + (iy + 0.5) * bin_h / gh
                    for ix in range(gw):
                        acc += bilinear(x, yy, x1 + j * bin_w + (ix + 0.5) * bin_w / gw)
                out[k, :, i, j] = acc / count
    return out


def check_roi_align():
    """Against torchvision 0.14's outputs (gen_roi_align.py)."""
    d = os.path.join(HERE, "..", "data", "roi_align")
    x = torch.from_numpy(np.load(os.path.join(d, "x.npy"))).permute(2, 0, 1)
    for name, s in {"a": ((3, 2), 1.0, -1, False), "b": ((2, 3), 0.5, 2, True)}.items():
        boxes = torch.from_numpy(np.load(os.path.join(d, f"boxes_{name}.npy")))
        y = roi_align(x, boxes, *s[0], s[1], s[2], s[3]).permute(0, 2, 3, 1).float()
        err = float((y - torch.from_numpy(np.load(os.path.join(d, f"y_{name}.npy")))).abs().max())
        print(f"roi_align {name} against torchvision: max abs diff {err:.2e}")
        assert err < 1e-6, err


def seen_frame(width, height, processor):
    """seen = original * s + o per axis: resize to the shortest edge, then center crop."""
    rh, rw = pre.resize_target(height, width, processor)
    crop = processor["crop_size"]
    return rw / width, rh / height, -((rw - crop["width"]) // 2), -((rh - crop["height"]) // 2)


def region_features(features, boxes_seen, proj, depth, image_size):
    """features f32 [g*g, D] (patches), boxes [R, 4] in seen pixels -> f32 [R, hidden]."""
    g = int(round(math.sqrt(features.shape[0])))
    grid = features.reshape(g, g, -1).permute(2, 0, 1)  # [D, g, g]
    pooled = roi_align(grid, boxes_seen, POOL, POOL, g / image_size, SAMPLING, ALIGNED).float()
    x = pooled.permute(0, 2, 3, 1).reshape(len(boxes_seen), -1)  # bins (row, column), then channels
    x = F.linear(x, proj["region_proj.0.weight"], proj["region_proj.0.bias"])
    if depth == 2:
        x = F.linear(F.gelu(x), proj["region_proj.2.weight"], proj["region_proj.2.bias"])
    return x


def main():
    torch.set_grad_enabled(False)
    check_roi_align()
    os.makedirs(GOLDENS, exist_ok=True)
    cfg = dict(gv.CLIP_VISION_DEFAULTS, hidden_size=32, intermediate_size=72, num_attention_heads=4, num_hidden_layers=3,
               image_size=30, patch_size=6, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=16,
               model_type="clip_vision_model")
    tower = {k: v.half().float() for k, v in gv.clip_vision_weights(cfg, 11, 16).items()}  # llava_tiny stores f16
    lm = {k: v.half().float() for k, v in gl.llm_weights(21, untied=False).items()}
    projector = {k: v.half().float() for k, v in
                 gl.projector_weights(23, ["multi_modal_projector.linear_1", "multi_modal_projector.linear_2"], 32).items()}
    r, proj = gv.Init(61), {}
    r.linear(proj, "region_proj.0", gl.TEXT["hidden_size"], POOL * POOL * 32)
    r.linear(proj, "region_proj.2", gl.TEXT["hidden_size"], gl.TEXT["hidden_size"])
    ref.save_safetensors(os.path.join(HERE, "regions_tiny.safetensors"), proj)

    processor = gen_images.PROCESSORS["clip"]
    im = pre.load_rgb(os.path.join(gen_images.IMAGES, IMAGE))
    pixels = torch.from_numpy(pre.preprocess(im, processor))
    patches = ref.clip_vision(tower, cfg, pixels)["hidden"][-2][1:]  # f32 [25, 32]
    sx, sy, ox, oy = seen_frame(im.width, im.height, processor)
    seen = torch.tensor([[b[0] * sx + ox, b[1] * sy + oy, b[2] * sx + ox, b[3] * sy + oy] for b in BOXES], dtype=torch.float64)
    regions = {}
    for name, depth in (("mlp2x_gelu", 2), ("linear", 1)):
        regions[name] = region_features(patches, seen.float(), proj, depth, cfg["image_size"])
        np.save(os.path.join(GOLDENS, f"regions.{name}.npy"), regions[name].numpy().astype(np.float32))

    # One image and two regions (the first and the third box) in the chat prompt.
    with open(os.path.join(GOLDENS, "prompt_ids.json")) as f:
        prompt = json.load(f)
    image_rows = gl.features(tower, cfg, projector, ["multi_modal_projector.linear_1", "multi_modal_projector.linear_2"],
                             pixels.numpy(), -2, True)
    prompt_regions = [0, 2]
    media = list(image_rows) + [regions["mlp2x_gelu"][i] for i in prompt_regions]  # images' rows, then regions'
    ids, rows, region = [], [], 0
    for i in prompt["ids"]:
        if i == -1:
            for k in range(len(image_rows)):
                ids.append(-1 - k)
                rows.append(media[k])
        elif i == -2:
            ids.append(-1 - (len(image_rows) + region))
            rows.append(media[len(image_rows) + region])
            region += 1
        else:
            ids.append(i)
    logits, tokens, margin = gl.reference(lm, [-1 if i < 0 else i for i in ids], rows)
    np.save(os.path.join(GOLDENS, "prompt.logits.npy"), logits.numpy().astype(np.float32))
    case = {"image": IMAGE, "boxes": BOXES, "boxes_seen": seen.tolist(), "pool": POOL, "sampling_ratio": SAMPLING,
            "aligned": ALIGNED, "message": prompt["message"], "prompt_regions": prompt_regions, "ids": ids,
            "logits": "prompt.logits.npy", "greedy": tokens, "min_margin": margin}
    gv.write_json(os.path.join(GOLDENS, "cases.json"), case)
    print(f"seen boxes {seen.tolist()}")
    print(f"regions mlp2x_gelu max |y| {float(regions['mlp2x_gelu'].abs().max()):.4f}; prompt: {len(ids)} ids, "
          f"greedy {tokens}, smallest top-2 margin {margin:.4f}")


if __name__ == "__main__":
    main()
