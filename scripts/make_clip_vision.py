#!/usr/bin/env python3
"""Writes a CLIP vision tower with random weights in the Hugging Face layout
(CLIPVisionModelWithProjection: config.json, model.safetensors in f16, preprocessor_config.json),
shaped as a real one, for speed measurements (scripts/bench-embed.py). Standard library + numpy.

    scripts/make_clip_vision.py OUT_DIR --preset b16|l14-336
"""
import argparse
import json
import os
import struct

import numpy as np

PRESETS = {  # the shapes of openai/clip-vit-base-patch16 and openai/clip-vit-large-patch14-336
    "b16": dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
                patch_size=16, image_size=224, projection_dim=512),
    "l14-336": dict(hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=24,
                    patch_size=14, image_size=336, projection_dim=768),
}


def tensors(c, rng):
    d, i, p = c["hidden_size"], c["intermediate_size"], c["patch_size"]
    n = (c["image_size"] // p) ** 2 + 1
    std = 0.02
    t = {"vision_model.embeddings.class_embedding": rng.normal(0, std, [d]),
         "vision_model.embeddings.patch_embedding.weight": rng.normal(0, std, [d, 3, p, p]),
         "vision_model.embeddings.position_embedding.weight": rng.normal(0, std, [n, d]),
         "vision_model.pre_layrnorm.weight": np.ones(d), "vision_model.pre_layrnorm.bias": np.zeros(d),
         "vision_model.post_layernorm.weight": np.ones(d), "vision_model.post_layernorm.bias": np.zeros(d),
         "visual_projection.weight": rng.normal(0, std, [c["projection_dim"], d])}
    for layer in range(c["num_hidden_layers"]):
        pre = f"vision_model.encoder.layers.{layer}."
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            t[pre + f"self_attn.{name}.weight"] = rng.normal(0, std, [d, d])
            t[pre + f"self_attn.{name}.bias"] = np.zeros(d)
        t[pre + "mlp.fc1.weight"] = rng.normal(0, std, [i, d])
        t[pre + "mlp.fc1.bias"] = np.zeros(i)
        t[pre + "mlp.fc2.weight"] = rng.normal(0, std, [d, i])
        t[pre + "mlp.fc2.bias"] = np.zeros(d)
        for norm in ("layer_norm1", "layer_norm2"):
            t[pre + f"{norm}.weight"] = np.ones(d)
            t[pre + f"{norm}.bias"] = np.zeros(d)
    return t


def write_safetensors(path, named):
    header, blobs, offset = {}, [], 0
    for name in sorted(named):
        b = np.ascontiguousarray(named[name], dtype=np.float16).tobytes()
        header[name] = {"dtype": "F16", "shape": list(np.shape(named[name])), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="b16")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    c = dict(PRESETS[a.preset], model_type="clip_vision_model", architectures=["CLIPVisionModelWithProjection"],
             hidden_act="quick_gelu", layer_norm_eps=1e-5, num_channels=3, torch_dtype="float16")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    s = c["image_size"]
    with open(os.path.join(a.out, "preprocessor_config.json"), "w") as f:
        json.dump({"crop_size": {"height": s, "width": s}, "do_center_crop": True, "do_convert_rgb": True,
                   "do_normalize": True, "do_rescale": True, "do_resize": True,
                   "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
                   "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3,
                   "rescale_factor": 1 / 255, "size": {"shortest_edge": s}}, f, indent=2)
    write_safetensors(os.path.join(a.out, "model.safetensors"), tensors(c, np.random.default_rng(a.seed)))


if __name__ == "__main__":
    main()
