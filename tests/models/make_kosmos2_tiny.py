#!/usr/bin/python3
"""Writes kosmos2_tiny/, a tiny random Kosmos2ForConditionalGeneration in the Hugging Face folder
layout (config.json as save_pretrained writes it, model.safetensors in f32 with transformers'
tensor names, preprocessor_config.json as microsoft/kosmos-2-patch14-224 has it, with a smaller
image, tokenizer.json / tokenizer_config.json in XLM-R form with Kosmos-2's added tokens), and
the goldens of the PyTorch reference in kosmos2_ref.py under goldens/kosmos2_tiny/:

  pixels.npy        f32 [3, 56, 56]: photo_50x33.jpg through the folder's image processor
                    (use_square_size: resized to an exact square, bicubic, aspect ratio ignored)
  vision.npy        f32 [17, 32]: the vision tower's last hidden state (CLS + 16 patches)
  image_embeds.npy  f32 [16, 32]: projected image embeddings (latent_query_num rows)
  cases.json        per case: input ids laid out as Kosmos2Processor does (image positions hold
                    the ids unk + 1 ...), image_embeds_position_mask, greedy tokens, the smallest
                    top-2 margin; <case>.logits.npy f32 [steps, vocab]: row 0 at the last prompt
                    position, row i after feeding greedy token i - 1 (row i picks greedy token i)
  postprocess.json  Kosmos2Processor.post_process_generation of hand-made generated texts

The tokenizer is a small Unigram model (no Precompiled normalizer); the text ids of the goldens come
from this script's own Viterbi segmentation of that model (highest total score), not from Facet.
Run from this folder: /usr/bin/python3 make_kosmos2_tiny.py"""
import json
import os
import shutil

import numpy as np
import torch

import gen_images
import gen_vision_models as gv
import kosmos2_ref as k2
import reference_preprocess as pre
import reference_vision as ref

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "kosmos2_tiny")
GOLDENS = os.path.join(HERE, "goldens", "kosmos2_tiny")
IMAGE = "photo_50x33.jpg"
N_GREEDY = 8
LATENTS = 16

# sentencepiece pieces (score = log probability); "▁" marks a word start.
WORDS = ["An", "image", "of", "a", "the", "snow", "man", "fire", "dog", "cat", "is", "in", "on", "and", "with", "by",
         "warm", "ing", "him", "self", "red", "car", "two", "photo", "Describe", "this", "what", "It"]
CHARS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?'-()")
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
UNK = 3


def pieces():
    out = [("▁", -3.0)]
    out += [("▁" + word, -4.0 - 0.1 * i) for i, word in enumerate(WORDS)]
    out += [(word, -6.0 - 0.1 * i) for i, word in enumerate(["man", "ing", "self", "s", "ed"])]
    out += [(c, -8.0 - 0.01 * i) for i, c in enumerate(CHARS)]
    out += [("▁" + c, -9.0 - 0.01 * i) for i, c in enumerate(CHARS[:26])]
    seen, unique = set(), []
    for p, s in out:
        if p not in seen:
            seen.add(p)
            unique.append((p, s))
    return unique


PIECES = pieces()
MASK = len(SPECIALS) + len(PIECES)  # XLM-R: <mask> follows the sentencepiece pieces
ADDED = {t: MASK + 1 + i for i, t in enumerate(k2.TAG_TOKENS + [f"<patch_index_{i:04d}>" for i in
                                                                 range(k2.NUM_PATCH_INDEX_TOKENS)])}
VOCAB = MASK + 1 + len(ADDED)

VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
          "num_channels": 3, "image_size": 56, "patch_size": 14, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5}
TEXT = {"vocab_size": VOCAB, "max_position_embeddings": 128, "embed_dim": 32, "layers": 2, "ffn_dim": 64,
        "attention_heads": 4, "activation_function": "gelu", "layer_norm_eps": 1e-5, "scale_embedding": True,
        "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}

# (name, with the image, prompt): the prompt as given to Kosmos2Processor(text=..., images=...).
CASES = [("grounding", True, "<grounding> An image of"), ("plain", True, "Describe this image"),
         ("text_only", False, "<grounding> the dog is")]


def unigram_ids(text):
    """XLM-R's Metaspace (spaces -> ▁, one ▁ prepended) then the best-scoring segmentation."""
    s = "▁" + text.replace(" ", "▁") if not text.startswith(" ") else text.replace(" ", "▁")
    index = {p: (i + len(SPECIALS), sc) for i, (p, sc) in enumerate(PIECES)}
    longest = max(len(p) for p, _ in PIECES)
    best = [(0.0, [])] + [None] * len(s)
    for end in range(1, len(s) + 1):
        for start in range(max(0, end - longest), end):
            if best[start] is None or s[start:end] not in index:
                continue
            pid, score = index[s[start:end]]
            cand = (best[start][0] + score, best[start][1] + [pid])
            if best[end] is None or cand[0] > best[end][0]:
                best[end] = cand
        if best[end] is None:
            raise ValueError(f"'{s[end - 1]}' is not in the tiny vocabulary")
    return best[-1][1]


def encode(text):
    """Added tokens (lstrip: they take the spaces before them) split the text; the rest is Unigram."""
    ids, rest = [], text
    while rest:
        hits = [(rest.find(t), t) for t in ADDED if rest.find(t) >= 0]
        if not hits:
            ids += unigram_ids(rest)
            break
        at, tok = min(hits, key=lambda h: (h[0], -len(h[1])))
        if rest[:at].rstrip():
            ids += unigram_ids(rest[:at].rstrip())
        ids.append(ADDED[tok])
        rest = rest[at + len(tok):]
    return ids


def weights(seed=7):
    r = gv.Init(seed)
    w = {k2.VISION + k[len("vision_model."):]: v for k, v in gv.clip_vision_weights(VISION, seed, 0).items()}
    dv, d, ff, v = VISION["hidden_size"], TEXT["embed_dim"], TEXT["ffn_dim"], VOCAB
    c = k2.CONNECTOR
    r.linear(w, c + "dense", d, dv)
    w[c + "latent_query"] = r.normal(LATENTS, d, std=1.0)
    for proj in ["q_proj", "k_proj", "v_proj", "out_proj"]:
        r.linear(w, c + "x_attn." + proj, d, d)
    t = k2.TEXT
    # Scales that keep greedy decoding from settling on one token: the tied head does not favour
    # the last token (final LayerNorm weights of either sign), attention adds little to the
    # residual, the FFN a lot.
    w[t + "embed_tokens.weight"] = r.normal(v, d, std=0.4)
    w[t + "embed_tokens.weight"][TEXT["pad_token_id"]] = 0  # nn.Embedding(padding_idx) as initialized
    for i in range(TEXT["layers"]):
        l = f"{t}layers.{i}."
        r.norm(w, l + "self_attn_layer_norm", d)
        for proj in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            r.linear(w, l + "self_attn." + proj, d, d)
        w[l + "self_attn.out_proj.weight"] *= 0.2
        r.norm(w, l + "self_attn.inner_attn_ln", d)
        r.norm(w, l + "final_layer_norm", d)
        r.linear(w, l + "ffn.fc1", ff, d)
        r.norm(w, l + "ffn.ffn_layernorm", ff)
        r.linear(w, l + "ffn.fc2", d, ff)
        w[l + "ffn.fc2.weight"] *= 3.0
    w[t + "layer_norm.weight"] = r.normal(d, std=1.0)
    w[t + "layer_norm.bias"] = r.normal(d, std=0.1)
    return w


def config():
    return {"architectures": ["Kosmos2ForConditionalGeneration"], "latent_query_num": LATENTS, "model_type": "kosmos-2",
            "text_config": {**TEXT, "model_type": "kosmos_2_text_model", "dropout": 0.1, "attention_dropout": 0.1,
                            "activation_dropout": 0.0, "layerdrop": 0.0, "init_std": 0.02, "use_cache": True},
            "vision_config": {**VISION, "model_type": "kosmos_2_vision_model", "attention_dropout": 0.0,
                              "initializer_factor": 1.0, "initializer_range": 0.02},
            "torch_dtype": "float32", "transformers_version": "4.35.0"}


def preprocessor():
    side = VISION["image_size"]
    return {"crop_size": {"height": side, "width": side}, "do_center_crop": True, "do_convert_rgb": True,
            "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": pre.CLIP_MEAN,
            "image_processor_type": "CLIPImageProcessor", "image_std": pre.CLIP_STD,
            "processor_class": "Kosmos2Processor", "resample": 3, "rescale_factor": 0.00392156862745098,
            "size": {"shortest_edge": side}, "use_square_size": True}


def tokenizer_json():
    def added(i, content, lstrip):
        return {"id": i, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": False,
                "normalized": False, "special": True}
    tokens = [added(i, t, False) for i, t in enumerate(SPECIALS)] + [added(MASK, "<mask>", True)]
    tokens += [added(i, t, True) for t, i in ADDED.items()]
    vocab = [[t, 0.0] for t in SPECIALS] + [[p, s] for p, s in PIECES] + [["<mask>", 0.0]]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": tokens,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Replace", "pattern": {"String": "``"}, "content": "\""},
                {"type": "Replace", "pattern": {"String": "''"}, "content": "\""},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                          {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                        {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                               "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                                  "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
            "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
            "model": {"type": "Unigram", "unk_id": UNK, "vocab": vocab, "byte_fallback": False}}


def tokenizer_config():
    return {"bos_token": "<s>", "clean_up_tokenization_spaces": True, "cls_token": "<s>", "eos_token": "</s>",
            "mask_token": {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "normalized": True,
                           "rstrip": False, "single_word": False},
            "model_max_length": 2048, "pad_token": "<pad>", "processor_class": "Kosmos2Processor", "sep_token": "</s>",
            "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>"}


def write_folder(w):
    shutil.rmtree(FOLDER, ignore_errors=True)
    os.makedirs(FOLDER)
    gv.write_json(os.path.join(FOLDER, "config.json"), config())
    gv.write_json(os.path.join(FOLDER, "preprocessor_config.json"), preprocessor())
    gv.write_json(os.path.join(FOLDER, "tokenizer_config.json"), tokenizer_config())
    with open(os.path.join(FOLDER, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(), f, ensure_ascii=False, separators=(",", ":"))
    ref.save_safetensors(os.path.join(FOLDER, "model.safetensors"), w)


# Hand-made generated texts (as the tokenizer decodes them, special tokens kept) for
# post_process_generation.
POSTPROCESS = [
    "<image>. the, to and of, </image><grounding> An image of<phrase> a snowman</phrase><object><patch_index_0044>"
    "<patch_index_0863></object> warming himself by<phrase> a fire</phrase><object><patch_index_0005>"
    "<patch_index_0911></object>.",
    "<grounding> An image of<phrase> two dogs</phrase><object><patch_index_0100><patch_index_0400>"
    "</delimiter_of_multi_objects/><patch_index_0520><patch_index_0890></object> on the grass.",
    "<grounding><phrase> Three cats</phrase><object><patch_index_0000><patch_index_0031>"
    "</delimiter_of_multi_objects/><patch_index_0032><patch_index_0032></delimiter_of_multi_objects/>"
    "<patch_index_0064><patch_index_1023></object> sleep.",
    "<grounding> A photo of<phrase> a cat</phrase> and<phrase> a dog</phrase><object><patch_index_0300>"
    "<patch_index_0600></object>.",
    "<grounding> An image of<phrase> a red car</phrase><object><patch_index_0200><patch_index_0",
    "<grounding> Look at<object><patch_index_0010><patch_index_0050></object> the left side.",
    "<grounding> Ein Bild von<phrase> einem Bären</phrase><object><patch_index_0066><patch_index_0500></object> "
    "im Schnee — très jolie 雪だるま<phrase> 雪だるま</phrase><object><patch_index_0333><patch_index_0777></object>.",
    "  <grounding>   An image of<phrase>  a tall tree </phrase><object><patch_index_0040><patch_index_0072></object>  ",
    "No grounding at all, just text.",
    "<grounding> A column<phrase> a pole</phrase><object><patch_index_0005><patch_index_0997></object> and a row"
    "<phrase> a shelf</phrase><object><patch_index_0320><patch_index_0351></object>.",
    "<image></image><grounding> Two images</image> second part with<phrase> a boat</phrase><object>"
    "<patch_index_0700><patch_index_0800></object>.",
    "<grounding> An emoji 😀 and<phrase> a café sign</phrase><object><patch_index_0123><patch_index_0456></object>"
    " here<phrase> nothing</phrase>.",
    "<grounding> A broken list<phrase> a kite</phrase><object><patch_index_0123><patch_index_0456>"
    "</delimiter_of_multi_objects/><patch_index_0789></object> ends here.",
]


def utf8_span(text, start, end):
    return [len(text[:start].encode()), len(text[:end].encode())]


def write_postprocess():
    cases = []
    for text in POSTPROCESS:
        cleaned, entities = k2.post_process_generation(text)
        cases.append({"text": text, "cleaned": cleaned,
                      "entities": [[name, [s, e], [list(b) for b in boxes]] for name, (s, e), boxes in entities],
                      "utf8_spans": [utf8_span(cleaned, s, e) for _, (s, e), _ in entities]})
    with open(os.path.join(GOLDENS, "postprocess.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")


def greedy(w, tcfg, ids, embeds, mask, name):
    ids, mask = list(ids), list(mask)
    rows, tokens, margins = [], [], []
    with torch.no_grad():
        for _ in range(N_GREEDY):
            logits = k2.text_logits(w, tcfg, ids, embeds, mask)[-1]
            top = torch.topk(logits, 2).values
            margins.append(float(top[0] - top[1]))
            rows.append(logits.numpy())
            tokens.append(int(logits.argmax()))
            ids.append(tokens[-1])
            mask.append(0)
    np.save(os.path.join(GOLDENS, name + ".logits.npy"), np.stack(rows).astype(np.float32))
    return tokens, min(margins)


def main():
    torch.manual_seed(0)
    w = weights()
    write_folder(w)
    os.makedirs(GOLDENS, exist_ok=True)
    vcfg, tcfg, latents = k2.configs(config())
    pixels = torch.from_numpy(pre.preprocess(pre.load_rgb(os.path.join(gen_images.IMAGES, IMAGE)), preprocessor()))
    with torch.no_grad():
        hidden = k2.vision(w, vcfg, pixels)
        embeds = k2.projection(w, vcfg, tcfg, hidden)
    np.save(os.path.join(GOLDENS, "pixels.npy"), pixels.numpy())
    np.save(os.path.join(GOLDENS, "vision.npy"), hidden.numpy())
    np.save(os.path.join(GOLDENS, "image_embeds.npy"), embeds.numpy())
    cases = []
    for name, with_image, prompt in CASES:
        text_ids = encode(prompt.strip())
        if with_image:
            ids, mask = k2.prompt_layout(text_ids, 0, UNK, ADDED["<image>"], ADDED["</image>"], latents)
        else:
            ids, mask = [0] + text_ids, [0] * (1 + len(text_ids))
        tokens, margin = greedy(w, tcfg, ids, embeds if with_image else None, mask, name)
        cases.append({"name": name, "prompt": prompt, "image": IMAGE if with_image else None, "ids": ids,
                      "image_embeds_position_mask": mask, "logits": name + ".logits.npy", "greedy": tokens,
                      "min_margin": margin})
        print(name, len(ids), "ids; greedy", tokens, "min margin %.4f" % margin)
    gv.write_json(os.path.join(GOLDENS, "cases.json"), cases)
    write_postprocess()


if __name__ == "__main__":
    main()
