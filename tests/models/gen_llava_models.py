#!/usr/bin/python3
"""Writes two tiny random LLaVA-1.5 checkpoints and the goldens of a PyTorch reference:

  llava_tiny       llava-hf layout (LlavaForConditionalGeneration): vision_tower.* (the CLIP tower
                   of clip_tiny, stored in f16), multi_modal_projector.linear_1/2, language_model.*
                   (tied head); images resized and center-cropped by the folder's processor.
  llava_repo_tiny  the LLaVA repository's layout (LlavaLlamaForCausalLM): model.* and lm_head
                   (untied), model.mm_projector.0/2 (mlp2x_gelu), image_aspect_ratio "pad", and the
                   CLIP tower named by mm_vision_tower (the hub id "facet-test/clip-tiny", which the
                   tests point at clip_tiny through a Hugging Face hub cache).

  mof_tiny, dinov2_mof_tiny   the Mixture-of-Features checkpoints (make_mof).

All use the real LLaMA-2 vocabulary (tests/data/tokenizers/llama2); llava_tiny's tokenizer adds
"<image>" (32000) and "<pad>" (32001) as llava-hf's does (tests/data/tokenizers/llava).

Run from this folder with Debian's /usr/bin/python3, in three steps:
  /usr/bin/python3 gen_llava_models.py tokenizers
  NODE_PATH=<folder with node_modules/@lenml/tokenizers> node gen_llava_prompts.mjs
  /usr/bin/python3 gen_llava_models.py models
The node step writes goldens/llava/prompt_ids.json: the ids transformers.js's tokenizer engine gives
for each prompt (with the <image> token, or split at the markers as LLaVA's tokenizer_image_token
does); the reference puts the projected image rows where the markers are."""
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import gen_images
import gen_vision_models as gv
import reference_llm as llm
import reference_preprocess as pre
import reference_vision as ref

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZERS = os.path.join(HERE, "..", "data", "tokenizers")
GOLDENS = os.path.join(HERE, "goldens", "llava")
IMAGE_TOKEN, PAD_TOKEN = 32000, 32001
N_GREEDY = 12
# (name, images, user message); the chat template is LLaVA-1.5's: "<s>USER: {message} ASSISTANT:".
PROMPTS = [("one", ["photo_50x33.jpg"], "<image>\nWhat is in the image?"),
           ("tall", ["gray_19x41.png"], "<image>\nDescribe it."),
           ("two", ["rgb_37x23.png", "photo_50x33.jpg"], "<image>\n<image>\nCompare the two images.")]

TEXT = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
        "num_key_value_heads": 1, "head_dim": 8, "vocab_size": 32064, "max_position_embeddings": 128,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu", "model_type": "llama"}


def rendered(message):
    return "<s>USER: " + message + " ASSISTANT:"


def write_tokenizers():
    folder = os.path.join(TOKENIZERS, "llava")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(TOKENIZERS, "llama2", "tokenizer.json")) as f:
        tok = json.load(f)
    for i, content in ((IMAGE_TOKEN, "<image>"), (PAD_TOKEN, "<pad>")):
        tok["added_tokens"].append({"id": i, "content": content, "single_word": False, "lstrip": False,
                                    "rstrip": False, "normalized": False, "special": True})
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))
    gv.write_json(os.path.join(folder, "tokenizer_config.json"), tokenizer_config(pad=True))
    with open(os.path.join(GOLDENS_PROMPTS_IN), "w") as f:
        json.dump([{"name": n, "text": rendered(m)} for n, _, m in PROMPTS], f, indent=1)


GOLDENS_PROMPTS_IN = os.path.join(HERE, "goldens", "llava", "prompts.json")


def tokenizer_config(pad):
    c = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
         "unk_token": "<unk>", "clean_up_tokenization_spaces": False, "legacy": True, "model_max_length": 4096,
         "tokenizer_class": "LlamaTokenizer"}
    if pad:
        c["pad_token"] = "<pad>"
    return c


def llm_weights(seed, untied):
    r = gv.Init(seed)
    d, ff, v = TEXT["hidden_size"], TEXT["intermediate_size"], TEXT["vocab_size"]
    hd, h, kv = TEXT["head_dim"], TEXT["num_attention_heads"], TEXT["num_key_value_heads"]
    w = {"model.embed_tokens.weight": r.normal(v, d, std=1.0 if untied else 0.1), "model.norm.weight": r.normal(d, std=0.1, mean=1.0)}
    for i in range(TEXT["num_hidden_layers"]):
        l = f"model.layers.{i}."
        w[l + "input_layernorm.weight"] = r.normal(d, std=0.1, mean=1.0)
        w[l + "post_attention_layernorm.weight"] = r.normal(d, std=0.1, mean=1.0)
        w[l + "self_attn.q_proj.weight"] = r.normal(h * hd, d, std=d ** -0.5)
        w[l + "self_attn.k_proj.weight"] = r.normal(kv * hd, d, std=d ** -0.5)
        w[l + "self_attn.v_proj.weight"] = r.normal(kv * hd, d, std=d ** -0.5)
        w[l + "self_attn.o_proj.weight"] = r.normal(d, h * hd, std=(h * hd) ** -0.5)
        w[l + "mlp.gate_proj.weight"] = r.normal(ff, d, std=d ** -0.5)
        w[l + "mlp.up_proj.weight"] = r.normal(ff, d, std=d ** -0.5)
        w[l + "mlp.down_proj.weight"] = r.normal(d, ff, std=ff ** -0.5)
    if untied:
        w["lm_head.weight"] = r.normal(v, d, std=1.0)
    return w


def projector_weights(seed, names, vision_width):
    r, w = gv.Init(seed), {}
    d = TEXT["hidden_size"]
    r.linear(w, names[0], d, vision_width)
    r.linear(w, names[1], d, d)
    return w


def expand2square(im, mean):
    """LLaVA's pad: a square of the mean color (int(x * 255)), the image centred."""
    w, h = im.size
    if w == h:
        return im
    side = max(w, h)
    out = Image.new(im.mode, (side, side), tuple(int(x * 255) for x in mean))
    out.paste(im, ((side - w) // 2, (side - h) // 2))
    return out


def features(vision_w, vision_cfg, proj_w, names, pixels, layer, drop_cls):
    hidden = ref.clip_vision(vision_w, vision_cfg, torch.from_numpy(pixels))["hidden"][layer]
    if drop_cls:
        hidden = hidden[1:]
    x = F.linear(hidden, proj_w[names[0] + ".weight"], proj_w[names[0] + ".bias"])
    return F.linear(F.gelu(x), proj_w[names[1] + ".weight"], proj_w[names[1] + ".bias"])


def reference(lm, ids, rows):
    """Logits after the prompt and greedy tokens; ids with IMAGE_TOKEN placeholders, one per row."""
    embed = lm["model.embed_tokens.weight"]
    parts, k = [], 0
    for i in ids:
        if i == -1:
            parts.append(rows[k][None])
            k += 1
        else:
            parts.append(embed[i][None])
    x = torch.cat(parts)
    logits, out, margins = None, [], []
    for step in range(N_GREEDY):
        all_logits = llm.forward_embeds(lm, TEXT, x)[-1]
        if step == 0:
            logits = all_logits
        top = torch.topk(all_logits, 2)
        out.append(int(top.indices[0]))
        margins.append(float(top.values[0] - top.values[1]))
        x = torch.cat([x, embed[out[-1]][None]])
    return logits, out, min(margins)


def make(name, layout, prompt_ids):
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    clip_vision_cfg = dict(gv.CLIP_VISION_DEFAULTS, hidden_size=32, intermediate_size=72, num_attention_heads=4,
                           num_hidden_layers=3, image_size=30, patch_size=6, hidden_act="quick_gelu",
                           layer_norm_eps=1e-5, projection_dim=16, model_type="clip_vision_model")
    tower = gv.clip_vision_weights(clip_vision_cfg, 11, 16)  # clip_tiny's tower (gen_vision_models.make_clip)
    processor = gen_images.PROCESSORS["clip"]
    hf = layout == "hf"
    names = ["multi_modal_projector.linear_1", "multi_modal_projector.linear_2"] if hf else \
        ["model.mm_projector.0", "model.mm_projector.2"]
    lm = llm_weights(21 if hf else 22, untied=not hf)
    proj = projector_weights(23 if hf else 24, names, 32)
    stored = {}
    if hf:
        vision_cfg = {k: clip_vision_cfg[k] for k in ("hidden_size", "intermediate_size", "num_attention_heads",
                      "num_hidden_layers", "image_size", "patch_size", "hidden_act", "layer_norm_eps",
                      "projection_dim", "model_type")}
        cfg = {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "ignore_index": -100,
               "image_token_index": IMAGE_TOKEN, "projector_hidden_act": "gelu", "vision_feature_layer": -2,
               "vision_feature_select_strategy": "default", "image_seq_length": 25, "tie_word_embeddings": True,
               "pad_token_id": PAD_TOKEN, "torch_dtype": "float16", "transformers_version": "4.44.2",
               "text_config": dict(TEXT, tie_word_embeddings=True), "vision_config": vision_cfg}
        for k, v in tower.items():
            if k.startswith("vision_model."):
                stored["vision_tower." + k] = v.half()
        for k, v in lm.items():
            stored["language_model." + k] = v.half()
        for k, v in proj.items():
            stored[k] = v.half()
        gv.write_json(os.path.join(folder, "preprocessor_config.json"), processor)
        shutil.copy(os.path.join(TOKENIZERS, "llava", "tokenizer.json"), os.path.join(folder, "tokenizer.json"))
        gv.write_json(os.path.join(folder, "tokenizer_config.json"), tokenizer_config(pad=True))
        vision_w = {k[len("vision_tower."):]: v.float() for k, v in stored.items() if k.startswith("vision_tower.")}
        lm_w = {k[len("language_model."):]: v.float() for k, v in stored.items() if k.startswith("language_model.")}
    else:
        cfg = dict(TEXT, architectures=["LlavaLlamaForCausalLM"], model_type="llava_llama", bos_token_id=1,
                   eos_token_id=2, tie_word_embeddings=False, torch_dtype="float16", transformers_version="4.31.0",
                   mm_vision_tower="facet-test/clip-tiny", mm_hidden_size=32, mm_projector_type="mlp2x_gelu",
                   mm_vision_select_layer=-2, mm_vision_select_feature="patch", image_aspect_ratio="pad",
                   mm_use_im_start_end=False, mm_use_im_patch_token=False, use_mm_proj=True)
        for k, v in list(lm.items()) + list(proj.items()):
            stored[k] = v.half()
        os.symlink(os.path.join("..", "..", "data", "tokenizers", "llama2", "tokenizer.json"),
                   os.path.join(folder, "tokenizer.json")) if not os.path.lexists(os.path.join(folder, "tokenizer.json")) else None
        gv.write_json(os.path.join(folder, "tokenizer_config.json"), tokenizer_config(pad=False))
        vision_w = {k: v for k, v in tower.items()}  # clip_tiny stores f32
        lm_w = {k: v.float() for k, v in stored.items() if not k.startswith("model.mm_projector.")}
    gv.write_json(os.path.join(folder, "config.json"), cfg)
    gv.write_json(os.path.join(folder, "generation_config.json"), {"bos_token_id": 1, "eos_token_id": 2,
                                                                   "pad_token_id": 0})
    ref.save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    proj_w = {k: v.float() for k, v in stored.items() if k in proj}

    out = os.path.join(GOLDENS, name)
    os.makedirs(out, exist_ok=True)
    cases = []
    for pname, images, message in PROMPTS:
        rows = []
        for image in images:
            im = pre.load_rgb(os.path.join(gen_images.IMAGES, image))
            if not hf:
                im = expand2square(im, processor["image_mean"])
            pixels = pre.preprocess(im, processor)
            f = features(vision_w, clip_vision_cfg, proj_w, names, pixels, -2, True)
            np.save(os.path.join(out, f"{image}.features.npy"), f.numpy().astype(np.float32))
            rows.extend(f)
        text_ids = prompt_ids[pname]["hf" if hf else "repo"]
        ids = []
        for i in text_ids:
            ids.extend([-1] * 25 if i == -1 else [i])
        logits, tokens, margin = reference(lm_w, ids, rows)
        np.save(os.path.join(out, f"{pname}.logits.npy"), logits.numpy().astype(np.float32))
        cases.append({"name": pname, "images": images, "message": message, "ids": [i for i in ids],
                      "logits": f"{pname}.logits.npy", "greedy": tokens, "min_margin": margin})
        print(f"{name} {pname}: {len(ids)} ids, greedy {tokens}, smallest top-2 margin {margin:.4f}")
    gv.write_json(os.path.join(out, "cases.json"), cases)


def make_mof(prompt_ids):
    """The Mixture-of-Features checkpoints: dinov2_mof_tiny (a DINOv2 whose 6-pixel patches give the
    same 5x5 grid as the CLIP tower on 30-pixel images; trained on 36) and mof_tiny (LLaVA
    repository layout: language model, model.mm_projector.* for CLIP and model.dino_mm_projector.*
    for DINOv2, image_aspect_ratio "pad"). Goldens for Interleaved-MoF and Additive-MoF (alpha 0.4,
    through the CLIP projector)."""
    dino_cfg = {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2, "image_size": 36, "patch_size": 6,
                "mlp_ratio": 4, "layer_norm_eps": 1e-6, "hidden_act": "gelu", "model_type": "dinov2"}
    dino_folder = os.path.join(HERE, "dinov2_mof_tiny")
    os.makedirs(dino_folder, exist_ok=True)
    gv.write_json(os.path.join(dino_folder, "config.json"), dict(dino_cfg, architectures=["Dinov2Model"],
                  torch_dtype="float32", transformers_version="4.44.2", layerscale_value=1.0))
    gv.write_json(os.path.join(dino_folder, "preprocessor_config.json"), gen_images.PROCESSORS["dinov2"])
    dino_full = dict(gv.DINOV2_DEFAULTS, **dino_cfg)
    dino_w = gv.dinov2_weights(dino_full, 41)
    ref.save_safetensors(os.path.join(dino_folder, "model.safetensors"), dino_w)

    clip_cfg = dict(gv.CLIP_VISION_DEFAULTS, hidden_size=32, intermediate_size=72, num_attention_heads=4,
                    num_hidden_layers=3, image_size=30, patch_size=6, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                    projection_dim=16, model_type="clip_vision_model")
    clip_w = gv.clip_vision_weights(clip_cfg, 11, 16)
    folder = os.path.join(HERE, "mof_tiny")
    os.makedirs(folder, exist_ok=True)
    clip_names = ["model.mm_projector.0", "model.mm_projector.2"]
    dino_names = ["model.dino_mm_projector.0", "model.dino_mm_projector.2"]
    lm = llm_weights(25, untied=True)
    stored = {k: v.half() for k, v in lm.items()}
    for k, v in list(projector_weights(26, clip_names, 32).items()) + list(projector_weights(27, dino_names, 32).items()):
        stored[k] = v.half()
    cfg = dict(TEXT, architectures=["LlavaLlamaForCausalLM"], model_type="llava_llama", bos_token_id=1, eos_token_id=2,
               max_position_embeddings=256, tie_word_embeddings=False, torch_dtype="float16", transformers_version="4.31.0",
               mm_vision_tower="facet-test/clip-tiny", mm_hidden_size=32, mm_projector_type="mlp2x_gelu",
               mm_vision_select_layer=-2, mm_vision_select_feature="patch", image_aspect_ratio="pad")
    gv.write_json(os.path.join(folder, "config.json"), cfg)
    gv.write_json(os.path.join(folder, "generation_config.json"), {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0})
    if not os.path.lexists(os.path.join(folder, "tokenizer.json")):
        os.symlink(os.path.join("..", "..", "data", "tokenizers", "llama2", "tokenizer.json"),
                   os.path.join(folder, "tokenizer.json"))
    gv.write_json(os.path.join(folder, "tokenizer_config.json"), tokenizer_config(pad=False))
    ref.save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    w = {k: v.float() for k, v in stored.items()}
    lm_w = {k: v for k, v in w.items() if "mm_projector" not in k}
    processor = gen_images.PROCESSORS["clip"]

    def project(names, x):
        h = F.linear(x, w[names[0] + ".weight"], w[names[0] + ".bias"])
        return F.linear(F.gelu(h), w[names[1] + ".weight"], w[names[1] + ".bias"])

    def mof_features(kind, image):
        im = expand2square(pre.load_rgb(os.path.join(gen_images.IMAGES, image)), processor["image_mean"])
        pixels = torch.from_numpy(pre.preprocess(im, processor))
        clip = ref.clip_vision(clip_w, clip_cfg, pixels)["hidden"][-2][1:]
        dino = ref.dinov2(dino_w, dino_full, pixels)["hidden"][-1][1:]  # before the final norm
        if kind == "imof":
            c, d = project(clip_names, clip), project(dino_names, dino)
            return torch.stack([c, d], dim=1).reshape(-1, c.shape[1])  # CLIP, DINO, CLIP, DINO, ...
        return project(clip_names, 0.4 * dino + 0.6 * clip)

    for kind in ("imof", "amof"):
        write_cases(kind, lambda image: mof_features(kind, image), lm_w, prompt_ids)


def write_cases(kind, features, lm_w, prompt_ids, instruction_ids=None):
    """Goldens of the one- and two-image prompts for a pipeline whose image rows are features(image),
    with the LLaVA repository's prompt ids (the plain LLaMA-2 tokenizer). With instruction_ids
    (prompt name -> ids of its instruction), the rows are features(image, ids) and depend on the
    prompt: their files are named after it and listed in the case."""
    out = os.path.join(GOLDENS, kind)
    os.makedirs(out, exist_ok=True)
    cases = []
    for pname, images, message in PROMPTS:
        if pname == "tall":
            continue
        rows, files = [], []
        for image in images:
            if instruction_ids is None:
                f, name = features(image), f"{image}.features.npy"
            else:
                f, name = features(image, instruction_ids[pname]), f"{pname}.{image}.features.npy"
            np.save(os.path.join(out, name), f.numpy().astype(np.float32))
            files.append(name)
            rows.extend(f)
        per_image = len(rows) // len(images)
        ids = []
        for i in prompt_ids[pname]["repo"]:
            ids.extend([-1] * per_image if i == -1 else [i])
        logits, tokens, margin = reference(lm_w, ids, rows)
        np.save(os.path.join(out, f"{pname}.logits.npy"), logits.numpy().astype(np.float32))
        case = {"name": pname, "images": images, "message": message, "ids": ids,
                "logits": f"{pname}.logits.npy", "greedy": tokens, "min_margin": margin}
        if instruction_ids is not None:
            case.update(instruction_ids=instruction_ids[pname], features=files)
        cases.append(case)
        print(f"{kind} {pname}: {len(ids)} ids, greedy {tokens}, smallest top-2 margin {margin:.4f}")
    gv.write_json(os.path.join(out, "cases.json"), cases)


def resampler_forward(w, pre, context, heads, eps=1e-5):
    """IDEFICS's IdeficsPerceiverResampler on one image's features [N, D]."""
    def ln(x, name):
        return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], eps)
    x = w[pre + "latents"]
    i = 0
    while f"{pre}blocks.{i}.0.q_proj.weight" in w:
        a, f = f"{pre}blocks.{i}.0.", f"{pre}blocks.{i}.1."
        c, h = ln(context, a + "context_layer_norm"), ln(x, a + "latents_layer_norm")
        ch = torch.cat([c, h])
        q = F.linear(h, w[a + "q_proj.weight"]).reshape(h.shape[0], heads, -1).transpose(0, 1)
        k = F.linear(ch, w[a + "k_proj.weight"]).reshape(ch.shape[0], heads, -1).transpose(0, 1)
        v = F.linear(ch, w[a + "v_proj.weight"]).reshape(ch.shape[0], heads, -1).transpose(0, 1)
        if a + "q_layer_norm.weight" in w:
            q, k = ln(q, a + "q_layer_norm"), ln(k, a + "k_layer_norm")
        scores = torch.einsum("hid,hjd->hij", q * q.shape[-1] ** -0.5, k)
        attn = (scores - scores.amax(dim=-1, keepdim=True)).softmax(dim=-1)
        o = torch.einsum("hij,hjd->hid", attn, v).transpose(0, 1).flatten(-2)
        x = x + F.linear(o, w[a + "output_proj.weight"])
        x = x + F.linear(F.relu(F.linear(ln(x, f + "ln"), w[f + "fc.weight"])), w[f + "c_proj.weight"])
        i += 1
    return ln(x, pre + "layer_norm")


def make_resampler(prompt_ids):
    """resampler_tiny: a Perceiver resampler (IDEFICS names, 8 latents, 2 blocks, 2 heads of 8, q/k
    LayerNorms) over the CLIP tower's second-to-last hidden state (CLS kept), a linear projector to
    the language model of mof_tiny. Goldens for docs/pipelines/resampler.toml."""
    r, w = gv.Init(51), {}
    d, lat, heads, hd, inter = 32, 8, 2, 8, 128
    rp = "perceiver_resampler."
    w[rp + "latents"] = r.normal(lat, d, std=1.0)
    for i in range(2):
        a, f = f"{rp}blocks.{i}.0.", f"{rp}blocks.{i}.1."
        for n in ("context_layer_norm", "latents_layer_norm"):
            r.norm(w, a + n, d)
        for n in ("q_layer_norm", "k_layer_norm"):
            r.norm(w, a + n, hd)
        for n in ("q_proj", "k_proj", "v_proj"):
            r.linear(w, a + n, heads * hd, d, bias=False)
        r.linear(w, a + "output_proj", d, heads * hd, bias=False)
        r.norm(w, f + "ln", d)
        r.linear(w, f + "fc", inter, d, bias=False)
        r.linear(w, f + "c_proj", d, inter, bias=False)
    r.norm(w, rp + "layer_norm", d)
    r.linear(w, "projector", TEXT["hidden_size"], d)
    folder = os.path.join(HERE, "resampler_tiny")
    os.makedirs(folder, exist_ok=True)
    stored = {k: v.half() for k, v in w.items()}
    ref.save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    gv.write_json(os.path.join(folder, "config.json"), {"model_type": "idefics_perceiver", "perceiver_config": {
        "resampler_n_latents": lat, "resampler_depth": 2, "resampler_n_heads": heads, "resampler_head_dim": hd,
        "qk_layer_norms_perceiver": True}})
    w = {k: v.float() for k, v in stored.items()}

    clip_cfg = dict(gv.CLIP_VISION_DEFAULTS, hidden_size=32, intermediate_size=72, num_attention_heads=4,
                    num_hidden_layers=3, image_size=30, patch_size=6, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                    projection_dim=16, model_type="clip_vision_model")
    clip_w = gv.clip_vision_weights(clip_cfg, 11, 16)
    # The language model is mof_tiny's, regenerated from its seed and rounded as stored (f16).
    lm_w = {k: v.half().float() for k, v in llm_weights(25, untied=True).items()}
    processor = gen_images.PROCESSORS["clip"]

    def resampler_features(image):
        pixels = torch.from_numpy(pre.preprocess(pre.load_rgb(os.path.join(gen_images.IMAGES, image)), processor))
        context = ref.clip_vision(clip_w, clip_cfg, pixels)["hidden"][-2]
        return F.linear(resampler_forward(w, "perceiver_resampler.", context, heads), w["projector.weight"],
                        w["projector.bias"])

    write_cases("resampler", resampler_features, lm_w, prompt_ids)


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    os.makedirs(GOLDENS, exist_ok=True)
    if step == "tokenizers":
        write_tokenizers()
    elif step == "models":
        with open(os.path.join(GOLDENS, "prompt_ids.json")) as f:
            prompt_ids = json.load(f)
        make("llava_tiny", "hf", prompt_ids)
        make("llava_repo_tiny", "repo", prompt_ids)
        make_mof(prompt_ids)
        make_resampler(prompt_ids)
    else:
        sys.exit("usage: gen_llava_models.py tokenizers|models")
