#!/usr/bin/python3
"""Writes the Unigram tokenizer.json files of the tokenizer tests (tests/data/tokenizers/):

- xlm_roberta: XLM-RoBERTa's layout as transformers' XLMRobertaConverter writes it (the
  Kosmos-2-era version): normalizer Sequence[Precompiled, Replace(" {2,}" -> " ")], Metaspace
  pre-tokenizer and decoder (prepend_scheme "always"), "<s> $A </s>" template, Unigram with
  <s> <pad> </s> <unk> first (unk_id 3) and <mask> last.
- kosmos2: the same plus Kosmos-2's tag tokens (</doc>, <image>, </image>, </chunk>, </line>,
  <phrase>, </phrase>, <object>, </object>, </delimiter_of_multi_objects/>, <grounding>) and
  <patch_index_0000>..<patch_index_1023>, added after the vocabulary.
- t5: T5's layout as T5Converter wrote it for t5-small: a lone Precompiled normalizer,
  Sequence[WhitespaceSplit, Metaspace] pre-tokenizer, "$A </s>" template, Unigram with
  <pad> </s> <unk> first (unk_id 2) and <extra_id_99>..<extra_id_0> at the end.

npm has no package with XLM-R's or T5's tokenizer.json, so the vocabularies are SentencePiece
Unigram models trained here (Debian's python3-sentencepiece 0.1.97, one thread, deterministic)
on a fixed text in this script and the tokenizer corpus, with the nmt_nfkc normalization rule
and full character coverage. Their precompiled_charsmap is the one SentencePiece compiles for nmt_nfkc,
the normalizer of XLM-R's and T5's models, byte for byte in the same format.

Usage: /usr/bin/python3 tests/models/gen_unigram_tokenizers.py   (apt-get install python3-sentencepiece)"""
import base64
import json
import os
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(ROOT, "tests", "data", "tokenizers")
KOSMOS_TAGS = ["</doc>", "<image>", "</image>", "</chunk>", "</line>", "<phrase>", "</phrase>", "<object>",
               "</object>", "</delimiter_of_multi_objects/>", "<grounding>"]


# Fixed training text (with the corpus), so that the vocabulary does not drift with other files.
TRAINING_TEXT = """A photo of a cat sitting on a red sofa next to the window.
Two dogs are playing in the snow while a snowman watches them.
The quick brown fox jumps over the lazy dog near the river bank.
An image of a kitchen with a wooden table, four chairs and a bowl of fruit.
Describe the picture in one sentence. What is the man holding in his hand?
Translate English to German: the house is wonderful and the garden is green.
Summarize: the meeting was moved to Tuesday because the projector was broken.
Le chat dort sur le canapé pendant que les enfants jouent dans le jardin.
Der Hund läuft über die Straße und die Kinder lachen laut im Park.
El niño come una manzana roja mientras su madre lee el periódico.
Привет мир, как дела? Сегодня хорошая погода для прогулки в парке.
Γεια σου κόσμε, η θάλασσα είναι ήσυχη σήμερα το πρωί.
今日は天気がいいので、公園で写真を撮りました。東京の駅はとても混んでいます。
这是一张猫的照片，它正在窗边睡觉。我们明天去北京。
오늘은 날씨가 좋아서 친구와 함께 공원에 갔습니다.
The model reads 224 by 224 pixel images and writes up to 64 tokens per answer.
Numbers like 3.14, 2024, 1,000,000 and -42 appear in text; so do URLs like https://example.com.
Grounded captions mark phrases and the boxes that show where each object is in the image.
"""


def training_text():
    corpus = json.load(open(os.path.join(OUT, "corpus.json"), encoding="utf-8"))
    lines = TRAINING_TEXT.splitlines() * 4
    for _ in range(3):
        lines += [t.replace("\n", " ") for t in corpus if t.strip()]
    return "\n".join(lines) + "\n"


def varint(b, i):
    v, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field number, wire type, value) of a serialized protobuf message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield num, wire, v


def charsmap(model_bytes):
    for num, _, v in fields(model_bytes):
        if num == 3:  # normalizer_spec
            for n2, _, v2 in fields(v):
                if n2 == 2:  # precompiled_charsmap
                    return bytes(v2)
    raise SystemExit("the model has no precompiled_charsmap")


def train(text_path, prefix, vocab_size, ids):
    spm.SentencePieceTrainer.train(
        input=text_path, model_prefix=prefix, model_type="unigram", vocab_size=vocab_size,
        character_coverage=1.0, normalization_rule_name="nmt_nfkc", num_threads=1, hard_vocab_limit=False,
        bos_piece="<s>", eos_piece="</s>", pad_piece="<pad>", unk_piece="<unk>", minloglevel=2, **ids)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    pieces = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    return pieces, base64.b64encode(charsmap(open(prefix + ".model", "rb").read())).decode()


def added(content, i):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def metaspace():
    return {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always"}


def xlm_roberta(pieces, cmap):
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]] + [[p, s] for p, s in pieces[4:]]
    vocab.append(["<mask>", 0.0])
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(t, i) for i, t in enumerate(specials)] + [added("<mask>", len(vocab) - 1)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": cmap},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": metaspace(),
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
        "decoder": metaspace(),
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }
    config = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
              "pad_token": "<pad>", "mask_token": "<mask>", "model_max_length": 512,
              "tokenizer_class": "XLMRobertaTokenizer"}
    return tok, config


def kosmos2(pieces, cmap):
    tok, config = xlm_roberta(pieces, cmap)
    n = len(tok["model"]["vocab"])
    extra = KOSMOS_TAGS + [f"<patch_index_{k:04d}>" for k in range(1024)]
    tok["added_tokens"] += [added(t, n + k) for k, t in enumerate(extra)]
    config["tokenizer_class"] = "XLMRobertaTokenizer"
    config["additional_special_tokens"] = extra
    return tok, config


def t5(pieces, cmap):
    vocab = [[p, s] for p, s in pieces]
    vocab[0][1] = vocab[1][1] = vocab[2][1] = 0.0
    n = len(vocab)
    extra = [f"<extra_id_{k}>" for k in range(99, -1, -1)]
    vocab += [[t, 0.0] for t in extra]
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(t, i) for i, t in enumerate(["<pad>", "</s>", "<unk>"])] +
                        [added(t, n + k) for k, t in enumerate(extra)],
        "normalizer": {"type": "Precompiled", "precompiled_charsmap": cmap},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
        "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab},
    }
    config = {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "extra_ids": 100,
              "additional_special_tokens": list(reversed(extra)), "model_max_length": 512,
              "tokenizer_class": "T5Tokenizer"}
    return tok, config


def write(name, tok, config):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"{name}: {len(tok['model']['vocab'])} pieces, {len(tok['added_tokens'])} added tokens")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "train.txt")
        open(text, "w", encoding="utf-8").write(training_text())
        xlmr, cmap = train(text, os.path.join(tmp, "xlmr"), 3000, dict(bos_id=0, pad_id=1, eos_id=2, unk_id=3))
        t5_pieces, t5_cmap = train(text, os.path.join(tmp, "t5"), 3000, dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1))
    assert cmap == t5_cmap
    write("xlm_roberta", *xlm_roberta(xlmr, cmap))
    write("kosmos2", *kosmos2(xlmr, cmap))
    write("t5", *t5(t5_pieces, cmap))


if __name__ == "__main__":
    main()
