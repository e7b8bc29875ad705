"""Writes the test images (odd sizes, every PIL mode the loaders handle, JPEGs with EXIF
orientation) and their preprocessed goldens. Run with Debian's /usr/bin/python3 from this folder."""
import io
import os

import numpy as np
from PIL import Image

import reference_preprocess as ref

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "images")


def pattern(w, h, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h - 2, 1)], -1)
    noise = rng.integers(-40, 41, size=(h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def exif_with_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def write_images():
    os.makedirs(IMAGES, exist_ok=True)
    Image.fromarray(pattern(37, 23, 1)).save(os.path.join(IMAGES, "rgb_37x23.png"))
    Image.fromarray(pattern(19, 41, 2)[:, :, 0]).save(os.path.join(IMAGES, "gray_19x41.png"))
    rgba = np.concatenate([pattern(25, 25, 3), pattern(25, 25, 4)[:, :, :1]], -1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(IMAGES, "rgba_25x25.png"))
    pal = Image.fromarray(pattern(31, 17, 5)).quantize(colors=16)
    pal.info["transparency"] = 3
    pal.save(os.path.join(IMAGES, "palette_31x17.png"), transparency=3)
    Image.fromarray(pattern(5, 3, 6)).save(os.path.join(IMAGES, "tiny_5x3.png"))
    Image.fromarray(pattern(50, 33, 7)).save(os.path.join(IMAGES, "photo_50x33.jpg"), quality=90)
    Image.fromarray(pattern(40, 24, 8)).save(os.path.join(IMAGES, "exif6_40x24.jpg"), quality=92,
                                              exif=exif_with_orientation(6))
    Image.fromarray(pattern(33, 21, 9)).save(os.path.join(IMAGES, "exif3_33x21.jpg"), quality=85,
                                              exif=exif_with_orientation(3))
    Image.fromarray(pattern(26, 30, 10)[:, :, 1]).save(os.path.join(IMAGES, "gray_26x30.jpg"), quality=95)


PROCESSORS = {
    # CLIPImageProcessor as openai/clip-vit-* ship it, scaled down.
    "clip": {"crop_size": {"height": 30, "width": 30}, "do_center_crop": True, "do_convert_rgb": True,
             "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": ref.CLIP_MEAN,
             "image_processor_type": "CLIPImageProcessor", "image_std": ref.CLIP_STD, "resample": 3,
             "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 30}},
    # BitImageProcessor as facebook/dinov2-* ship it (resize 256, crop 224), scaled down.
    "dinov2": {"crop_size": {"height": 28, "width": 28}, "do_center_crop": True, "do_convert_rgb": True,
               "do_normalize": True, "do_rescale": True, "do_resize": True,
               "image_mean": [0.485, 0.456, 0.406], "image_processor_type": "BitImageProcessor",
               "image_std": [0.229, 0.224, 0.225], "resample": 3, "rescale_factor": 0.00392156862745098,
               "size": {"shortest_edge": 32}},
    # A crop larger than the resized image (zero padding) and bilinear resampling.
    "pad": {"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 12},
            "crop_size": {"height": 16, "width": 14}, "resample": 2},
}


def write_processor(folder, cfg):
    import json
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def write_preprocess_goldens():
    out = os.path.join(HERE, "goldens", "preprocess")
    os.makedirs(out, exist_ok=True)
    for name, cfg in PROCESSORS.items():
        folder = os.path.join(HERE, "processors", name)
        write_processor(folder, cfg)
        for image in sorted(os.listdir(IMAGES)):
            x = ref.preprocess(ref.load_rgb(os.path.join(IMAGES, image)), cfg)
            np.save(os.path.join(out, f"{name}.{image}.npy"), x)


def write_decode_goldens():
    """The RGB pixels PIL decodes (after EXIF transpose and convert_to_rgb), as f32 [H, W, 3]."""
    out = os.path.join(HERE, "goldens", "decode")
    os.makedirs(out, exist_ok=True)
    for image in sorted(os.listdir(IMAGES)):
        rgb = np.array(ref.load_rgb(os.path.join(IMAGES, image))).astype(np.float32)
        np.save(os.path.join(out, f"{image}.npy"), rgb)


if __name__ == "__main__":
    write_images()
    write_preprocess_goldens()
    write_decode_goldens()
