"""Writes tiny random CLIP and DINOv2 checkpoints in the exact Hugging Face folder layouts
(config.json as save_pretrained writes it, safetensors, preprocessor_config.json) and golden
outputs of the PyTorch references in reference_vision.py. Run with Debian's /usr/bin/python3 from
this folder after gen_images.py. Goldens are float32 NPY files named
goldens/<model>/<image>.<output>.npy, output = embeds | last_hidden_state | hidden_<N>."""
import json
import os
import shutil

import numpy as np
import torch

import gen_images
import reference_preprocess as pre
import reference_vision as ref

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN_IMAGES = ["rgb_37x23.png", "photo_50x33.jpg", "exif6_40x24.jpg"]

CLIP_VISION_DEFAULTS = {"hidden_size": 768, "intermediate_size": 3072, "projection_dim": 512, "num_hidden_layers": 12,
                        "num_attention_heads": 12, "num_channels": 3, "image_size": 224, "patch_size": 32,
                        "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5}
DINOV2_DEFAULTS = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "mlp_ratio": 4,
                   "hidden_act": "gelu", "layer_norm_eps": 1e-6, "image_size": 224, "patch_size": 14,
                   "num_channels": 3, "qkv_bias": True, "layerscale_value": 1.0, "use_swiglu_ffn": False,
                   "num_register_tokens": 4}


class Init:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, std=1.0, mean=0.0):
        return torch.randn(*shape, generator=self.g) * std + mean

    def linear(self, w, name, out_f, in_f, bias=True):
        w[name + ".weight"] = self.normal(out_f, in_f, std=in_f ** -0.5)
        if bias:
            w[name + ".bias"] = self.normal(out_f, std=0.1)

    def norm(self, w, name, d):
        w[name + ".weight"] = self.normal(d, std=0.1, mean=1.0)
        w[name + ".bias"] = self.normal(d, std=0.1)


def clip_vision_weights(cfg, seed, projection_dim):
    r, w = Init(seed), {}
    d, p, c = cfg["hidden_size"], cfg["patch_size"], cfg["num_channels"]
    n_pos = (cfg["image_size"] // p) ** 2 + 1
    pre_ = "vision_model."
    w[pre_ + "embeddings.class_embedding"] = r.normal(d, std=0.5)
    w[pre_ + "embeddings.patch_embedding.weight"] = r.normal(d, c, p, p, std=(c * p * p) ** -0.5)
    w[pre_ + "embeddings.position_embedding.weight"] = r.normal(n_pos, d, std=0.5)
    r.norm(w, pre_ + "pre_layrnorm", d)
    for i in range(cfg["num_hidden_layers"]):
        l = f"{pre_}encoder.layers.{i}."
        for proj in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            r.linear(w, l + "self_attn." + proj, d, d)
        r.norm(w, l + "layer_norm1", d)
        r.norm(w, l + "layer_norm2", d)
        r.linear(w, l + "mlp.fc1", cfg["intermediate_size"], d)
        r.linear(w, l + "mlp.fc2", d, cfg["intermediate_size"])
    r.norm(w, pre_ + "post_layernorm", d)
    if projection_dim:
        w["visual_projection.weight"] = r.normal(projection_dim, d, std=d ** -0.5)
    return w


def clip_text_weights(cfg, seed, projection_dim):
    r, w = Init(seed), {}
    d = cfg["hidden_size"]
    pre_ = "text_model."
    w[pre_ + "embeddings.token_embedding.weight"] = r.normal(cfg["vocab_size"], d, std=0.5)
    w[pre_ + "embeddings.position_embedding.weight"] = r.normal(cfg["max_position_embeddings"], d, std=0.5)
    for i in range(cfg["num_hidden_layers"]):
        l = f"{pre_}encoder.layers.{i}."
        for proj in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            r.linear(w, l + "self_attn." + proj, d, d)
        r.norm(w, l + "layer_norm1", d)
        r.norm(w, l + "layer_norm2", d)
        r.linear(w, l + "mlp.fc1", cfg["intermediate_size"], d)
        r.linear(w, l + "mlp.fc2", d, cfg["intermediate_size"])
    r.norm(w, pre_ + "final_layer_norm", d)
    w["text_projection.weight"] = r.normal(projection_dim, d, std=d ** -0.5)
    return w


def dinov2_weights(cfg, seed):
    r, w = Init(seed), {}
    d, p, c = cfg["hidden_size"], cfg["patch_size"], cfg["num_channels"]
    n_pos = (cfg["image_size"] // p) ** 2 + 1
    w["embeddings.cls_token"] = r.normal(1, 1, d, std=0.5)
    w["embeddings.mask_token"] = torch.zeros(1, d)
    w["embeddings.position_embeddings"] = r.normal(1, n_pos, d, std=0.5)
    w["embeddings.patch_embeddings.projection.weight"] = r.normal(d, c, p, p, std=(c * p * p) ** -0.5)
    w["embeddings.patch_embeddings.projection.bias"] = r.normal(d, std=0.1)
    if cfg["model_type"] == "dinov2_with_registers":
        w["embeddings.register_tokens"] = r.normal(1, cfg["num_register_tokens"], d, std=0.5)
    hidden = int(d * cfg["mlp_ratio"])
    for i in range(cfg["num_hidden_layers"]):
        l = f"encoder.layer.{i}."
        r.norm(w, l + "norm1", d)
        r.norm(w, l + "norm2", d)
        for proj in ["query", "key", "value"]:
            r.linear(w, l + "attention.attention." + proj, d, d)
        r.linear(w, l + "attention.output.dense", d, d)
        w[l + "layer_scale1.lambda1"] = r.normal(d, std=0.2, mean=0.6)
        w[l + "layer_scale2.lambda1"] = r.normal(d, std=0.2, mean=0.6)
        if cfg["use_swiglu_ffn"]:
            h = (int(hidden * 2 / 3) + 7) // 8 * 8
            r.linear(w, l + "mlp.weights_in", 2 * h, d)
            r.linear(w, l + "mlp.weights_out", d, h)
        else:
            r.linear(w, l + "mlp.fc1", hidden, d)
            r.linear(w, l + "mlp.fc2", d, hidden)
    r.norm(w, "layernorm", d)
    return w


def round_to(w, dtype):
    """What the file stores (dtype) and what the reference computes with (the same values in f32)."""
    stored = {k: v.to(dtype) if v.dtype == torch.float32 else v for k, v in w.items()}
    return stored, {k: v.float() for k, v in stored.items() if v.is_floating_point()}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def save_goldens(name, forward, processor, outputs):
    out = os.path.join(HERE, "goldens", name)
    os.makedirs(out, exist_ok=True)
    for image in GOLDEN_IMAGES:
        pixels = torch.from_numpy(pre.preprocess(pre.load_rgb(os.path.join(gen_images.IMAGES, image)), processor))
        with torch.no_grad():
            result = forward(pixels)
        for output in outputs:
            if output == "embeds":
                value = result["embeds"][None]
            elif output == "last_hidden_state":
                value = result["last_hidden_state"]
            else:
                value = result["hidden"][int(output.split("_")[1])]
            np.save(os.path.join(out, f"{image}.{output}.npy"), value.float().numpy().astype(np.float32))


# The tiny CLIP's tokenizer is tests/data/tokenizers/clip_tiny (gen_tokenizers.py): vocabulary 688,
# <|startoftext|> = 686, <|endoftext|> = 687. Id sequences of strings come from that folder's
# expected.json, i.e. from transformers.js's tokenizer engine, not from Facet.
TOKENIZER = os.path.join(HERE, "..", "data", "tokenizers", "clip_tiny")
BOS, EOS = 686, 687
TEXTS = {"plain": [BOS, 5, 17, 42, 63, EOS], "padded": [BOS, 12, 7, EOS, EOS, EOS, EOS, EOS], "no_eos": [BOS, 3, 4, 5],
         "full": [BOS] + list(range(300, 314)) + [EOS]}
STRINGS = {"cat": "a photo of a cat.", "dog": "a photo of a dog.", "red_car": "a photo of a red car"}
LABELS = ["cat", "dog", "bird"]
LABEL_TEMPLATE = "This is a photo of {}."
# A miniature MMVP-VLM in the published layout: (type, statement 1, statement 2, image 1, image 2).
# (The random model gets some pairs right and some wrong, so the test sees both outcomes.)
MMVP_PAIRS = [("Orientation and Direction", "the dog is facing left", "the dog is facing the camera",
               "photo_50x33.jpg", "exif6_40x24.jpg"),
              ("Orientation and Direction", "the window is open", "the window is closed",
               "exif3_33x21.jpg", "gray_26x30.jpg"),
              ("Color and Appearance", "the flame is yellow", "the flame is blue", "exif6_40x24.jpg", "exif3_33x21.jpg"),
              ("Color and Appearance", "a red car", "a blue car", "gray_26x30.jpg", "photo_50x33.jpg")]


def reference_ids(text):
    with open(os.path.join(TOKENIZER, "expected.json")) as f:
        for case in json.load(f):
            if case["text"] == text:
                return case["ids"]
    raise KeyError(f"'{text}' is not in tests/data/tokenizers/corpus.json; add it and rerun gen_tokenizer_goldens.mjs")


def text_goldens(w, text):
    out = os.path.join(HERE, "goldens", "clip_tiny")
    os.makedirs(out, exist_ok=True)
    strings = {name: {"text": s, "ids": reference_ids(s)} for name, s in STRINGS.items()}
    write_json(os.path.join(out, "texts.json"), {"ids": TEXTS, "strings": strings})
    cases = dict(TEXTS, **{name: v["ids"] for name, v in strings.items()})
    for name, ids in cases.items():
        result = ref.clip_text(w, text, ids)
        for output in ["embeds", "pooled", "last_hidden_state", "hidden_1"]:
            value = result[output][None] if output in ("embeds", "pooled") else (
                result["last_hidden_state"] if output == "last_hidden_state" else result["hidden"][1])
            np.save(os.path.join(out, f"text.{name}.{output}.npy"), value.numpy().astype(np.float32))


def normalized(v):
    return v / v.norm(dim=-1, keepdim=True)


def image_embeds(w, cfg, path):
    pixels = torch.from_numpy(pre.preprocess(pre.load_rgb(path), gen_images.PROCESSORS["clip"]))
    return ref.clip_vision(w, cfg, pixels)["embeds"]


def zero_shot_goldens(w, vision, text):
    """CLIPModel's logits_per_image = exp(logit_scale) * cos(image, text), and the label
    probabilities of zero-shot classification (softmax over the labels)."""
    out = os.path.join(HERE, "goldens", "clip_tiny")
    texts = [LABEL_TEMPLATE.format(label) for label in LABELS]
    t = normalized(torch.stack([ref.clip_text(w, text, reference_ids(s))["embeds"] for s in texts]))
    scale = w["logit_scale"].exp()
    result = {"template": LABEL_TEMPLATE, "labels": LABELS, "images": {}}
    for image in GOLDEN_IMAGES:
        i = normalized(image_embeds(w, vision, os.path.join(gen_images.IMAGES, image)))
        logits = scale * t @ i
        result["images"][image] = {"logits": logits.tolist(), "probs": logits.softmax(0).tolist()}
    write_json(os.path.join(out, "zero_shot.json"), result)


def mmvp_vlm(w, vision, text):
    """Writes mmvp_vlm/ (Questions.csv, MLLM_VLM Images/<type>/<qid>.jpg) and the reference result:
    for each statement, the probability that image 1 of its pair is the one it describes
    (softmax over the pair's two images of the CLIP logits of "a photo of " + statement)."""
    import shutil
    folder = os.path.join(HERE, "mmvp_vlm")
    shutil.rmtree(folder, ignore_errors=True)
    rows, expected = [], []
    scale = w["logit_scale"].exp()
    for k, (kind, s1, s2, im1, im2) in enumerate(MMVP_PAIRS):
        q1, q2 = 2 * k + 1, 2 * k + 2
        os.makedirs(os.path.join(folder, "MLLM_VLM Images", kind), exist_ok=True)
        for q, im in ((q1, im1), (q2, im2)):
            shutil.copy(os.path.join(gen_images.IMAGES, im), os.path.join(folder, "MLLM_VLM Images", kind, f"{q}.jpg"))
        imgs = normalized(torch.stack([image_embeds(w, vision, os.path.join(gen_images.IMAGES, im)) for im in (im1, im2)]))
        probs = []
        for s in (s1, s2):
            t = normalized(ref.clip_text(w, text, reference_ids("a photo of " + s))["embeds"])
            probs.append(float((scale * imgs @ t).softmax(0)[0]))
        rows += [(q1, kind, s1), (q2, kind, s2)]
        expected.append({"qid1": q1, "qid2": q2, "type": kind, "img1_prob1": probs[0], "img1_prob2": probs[1]})
    with open(os.path.join(folder, "Questions.csv"), "w") as f:
        f.write("Question ID,Type,Statement\n")
        for q, kind, s in rows:
            f.write(f"{q},{kind},{s}\n")
    write_json(os.path.join(HERE, "goldens", "clip_tiny", "mmvp_vlm.json"), expected)


def make_clip():
    vision = {"hidden_size": 32, "intermediate_size": 72, "num_attention_heads": 4, "num_hidden_layers": 3,
              "image_size": 30, "patch_size": 6, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
              "projection_dim": 16, "model_type": "clip_vision_model"}
    text = {"hidden_size": 24, "intermediate_size": 40, "num_attention_heads": 2, "num_hidden_layers": 2,
            "max_position_embeddings": 16, "vocab_size": 688, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
            "projection_dim": 16, "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": 1,
            "model_type": "clip_text_model"}
    folder = os.path.join(HERE, "clip_tiny")
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), {
        "architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 2.6592,
        "model_type": "clip", "projection_dim": 16, "text_config": text, "torch_dtype": "float32",
        "transformers_version": "4.44.2", "vision_config": vision})
    write_json(os.path.join(folder, "preprocessor_config.json"), gen_images.PROCESSORS["clip"])
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(TOKENIZER, name), os.path.join(folder, name))
    w = clip_vision_weights(dict(CLIP_VISION_DEFAULTS, **vision), 11, 16)
    w.update(clip_text_weights(text, 12, 16))
    w["logit_scale"] = torch.tensor(2.6592)
    n_pos = (vision["image_size"] // vision["patch_size"]) ** 2 + 1
    stored = dict(w)
    stored["vision_model.embeddings.position_ids"] = torch.arange(n_pos)[None]  # legacy buffer, ignored
    stored["text_model.embeddings.position_ids"] = torch.arange(text["max_position_embeddings"])[None]
    ref.save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    text_goldens(w, text)
    cfg = dict(CLIP_VISION_DEFAULTS, **vision)
    save_goldens("clip_tiny", lambda px: ref.clip_vision(w, cfg, px), gen_images.PROCESSORS["clip"],
                 ["embeds", "last_hidden_state", "hidden_0", "hidden_2"])
    zero_shot_goldens(w, cfg, text)
    mmvp_vlm(w, cfg, text)


def make_clip_vision_f16():
    # CLIPVisionModelWithProjection in f16; config.json leaves hidden_act and layer_norm_eps to the
    # class defaults (quick_gelu, 1e-5), as save_pretrained does for default values.
    vision = {"hidden_size": 48, "intermediate_size": 64, "num_attention_heads": 3, "num_hidden_layers": 2,
              "image_size": 28, "patch_size": 7, "projection_dim": 8}
    folder = os.path.join(HERE, "clip_vision_f16")
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), dict(vision, architectures=["CLIPVisionModelWithProjection"],
                                                         model_type="clip_vision_model", torch_dtype="float16",
                                                         transformers_version="4.44.2"))
    processor = dict(gen_images.PROCESSORS["clip"], size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    write_json(os.path.join(folder, "preprocessor_config.json"), processor)
    stored, w = round_to(clip_vision_weights(dict(CLIP_VISION_DEFAULTS, **vision), 21, 8), torch.float16)
    ref.save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    cfg = dict(CLIP_VISION_DEFAULTS, **vision)
    save_goldens("clip_vision_f16", lambda px: ref.clip_vision(w, cfg, px), processor, ["embeds", "hidden_1"])


def make_dinov2():
    # Trained on a 6x6 grid (image_size 42, patch 7); the processor crops 28 -> a 4x4 grid, so the
    # position embeddings are interpolated, as with the real checkpoints (518 trained, 224 used).
    cfg = {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 3, "image_size": 42, "patch_size": 7,
           "mlp_ratio": 4, "layer_norm_eps": 1e-6, "hidden_act": "gelu", "model_type": "dinov2"}
    folder = os.path.join(HERE, "dinov2_tiny")
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), dict(cfg, architectures=["Dinov2Model"], torch_dtype="float32",
                                                         transformers_version="4.44.2", layerscale_value=1.0))
    write_json(os.path.join(folder, "preprocessor_config.json"), gen_images.PROCESSORS["dinov2"])
    full = dict(DINOV2_DEFAULTS, **cfg)
    w = dinov2_weights(full, 31)
    ref.save_safetensors(os.path.join(folder, "model.safetensors"), w)
    save_goldens("dinov2_tiny", lambda px: ref.dinov2(w, full, px), gen_images.PROCESSORS["dinov2"],
                 ["embeds", "last_hidden_state", "hidden_3", "hidden_1"])


def make_dinov2_registers():
    # Dinov2WithRegistersModel, bf16, SwiGLU FFN, two safetensors shards with an index.
    cfg = {"hidden_size": 48, "num_attention_heads": 4, "num_hidden_layers": 2, "image_size": 42, "patch_size": 7,
           "num_register_tokens": 4, "use_swiglu_ffn": True, "model_type": "dinov2_with_registers"}
    folder = os.path.join(HERE, "dinov2_reg_bf16")
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), dict(cfg, architectures=["Dinov2WithRegistersModel"],
                                                         torch_dtype="bfloat16", transformers_version="4.48.0"))
    write_json(os.path.join(folder, "preprocessor_config.json"), gen_images.PROCESSORS["dinov2"])
    full = dict(DINOV2_DEFAULTS, **cfg)
    stored, w = round_to(dinov2_weights(full, 41), torch.bfloat16)
    names = sorted(stored)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    for shard, keys in shards.items():
        ref.save_safetensors(os.path.join(folder, shard), {k: stored[k] for k in keys})
    write_json(os.path.join(folder, "model.safetensors.index.json"),
               {"metadata": {"total_size": sum(v.numel() * v.element_size() for v in stored.values())},
                "weight_map": {k: s for s, keys in shards.items() for k in keys}})
    save_goldens("dinov2_reg_bf16", lambda px: ref.dinov2(w, full, px), gen_images.PROCESSORS["dinov2"],
                 ["embeds", "last_hidden_state", "hidden_2"])


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    make_clip()
    make_clip_vision_f16()
    make_dinov2()
    make_dinov2_registers()
