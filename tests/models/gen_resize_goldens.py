"""Goldens of PIL's Image.resize with LANCZOS (the filter diffusers' VaeImageProcessor uses for
img2img init images), for tests/unit/test_image.cpp: goldens/resize/<image>.<W>x<H>.lanczos.npy,
float32 [H, W, 3] of the 8-bit result. Run with Debian's /usr/bin/python3 from this folder."""
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [("photo_50x33.jpg", 32, 24), ("photo_50x33.jpg", 72, 40), ("rgb_37x23.png", 16, 16), ("rgb_37x23.png", 37, 50)]

out = os.path.join(HERE, "goldens", "resize")
os.makedirs(out, exist_ok=True)
for name, w, h in CASES:
    im = Image.open(os.path.join(HERE, "images", name)).convert("RGB")
    r = np.asarray(im.resize((w, h), Image.LANCZOS), dtype=np.float32)
    np.save(os.path.join(out, f"{name}.{w}x{h}.lanczos.npy"), r)
    print(name, w, h, r.mean())
