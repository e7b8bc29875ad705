#!/usr/bin/python3
"""Goldens of the roi_align op from torchvision.ops.roi_align (Debian's python3-torchvision),
written to tests/data/roi_align: a random 7 x 9 grid of 3 channels (stored channels-last,
[H, W, C], as Facet's op takes it), six boxes (the whole grid, a fractional inner box, boxes
partly and wholly past the edges, a tiny box and an inverted one), and the pooled outputs
[K, PH, PW, C] of two settings:
  a: 3 x 2 bins, spatial_scale 1, sampling_ratio -1 (adaptive), aligned False
  b: 2 x 3 bins, spatial_scale 0.5 (boxes in a 2x larger image), sampling_ratio 2, aligned True
Usage: /usr/bin/python3 gen_roi_align.py"""
import os

import numpy as np
import torch
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "roi_align")
BOXES = [[0, 0, 8, 6], [2.3, 1.1, 5.7, 4.9], [-2, -1, 3, 2], [7.5, 5.5, 12, 9], [4, 3, 4.2, 3.1], [6, 5, 2, 1]]
SETTINGS = {"a": dict(output_size=(3, 2), spatial_scale=1.0, sampling_ratio=-1, aligned=False),
            "b": dict(output_size=(2, 3), spatial_scale=0.5, sampling_ratio=2, aligned=True)}


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(7, 9, 3, generator=g)  # [H, W, C]
    np.save(os.path.join(OUT, "x.npy"), x.numpy().astype(np.float32))
    for name, s in SETTINGS.items():
        boxes = torch.tensor(BOXES, dtype=torch.float32) / s["spatial_scale"]
        np.save(os.path.join(OUT, f"boxes_{name}.npy"), boxes.numpy())
        rois = torch.cat([torch.zeros(len(BOXES), 1), boxes], dim=1)
        y = torchvision.ops.roi_align(x.permute(2, 0, 1)[None], rois, **s)  # [K, C, PH, PW]
        np.save(os.path.join(OUT, f"y_{name}.npy"), y.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32))
        print(name, tuple(y.shape), float(y.abs().max()))


if __name__ == "__main__":
    main()
