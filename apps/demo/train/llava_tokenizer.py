"""A LLaMA-2-style tokenizer (SentencePiece BPE as transformers' LlamaTokenizerFast writes it) for
the shapes world's small closed vocabulary.

The tokenizer.json has llama-2's pipeline: a normalizer that prepends "▁" and turns spaces into "▁",
no pre-tokenizer, BPE with byte fallback (<0x00> .. <0xFF>), "<s>" before the text, and the decoder
(▁ -> space, byte fallback, fuse, strip one leading space). Its vocabulary: <unk>, <s>, </s>, the 256
byte pieces, printable ASCII and "▁", then merges learned here until every word of the world (with
and without a leading "▁") is one token, plus a few for Shikra boxes ("[0.", ",0."); added tokens
"<image>" (llava-hf's) and "<pad>" go last. encode() applies the same pipeline in Python, so
training sees the ids Facet's tokenizer gives (tests/test_llava.py compares them with
`facet tokenize`)."""
import re

from bpe import _merge_once, merge_until_whole

UNK, BOS, EOS, IMAGE, PAD = "<unk>", "<s>", "</s>", "<image>", "<pad>"
SPACE = "\u2581"
_WORD = re.compile(r"[A-Za-z]+")
# LLaVA-1.5's conversation format (llava-hf's template, text-only turns), which Facet recognises as vicuna.
CHAT_TEMPLATE = ("{% for message in messages %}{% if message['role'] == 'user' %}USER: {{ message['content'] }} "
                 "{% else %}ASSISTANT: {{ message['content'] }}{{ eos_token }}{% endif %}{% endfor %}"
                 "{% if add_generation_prompt %}ASSISTANT:{% endif %}")
# Merges for box numbers, ranked before the word merges: "▁[0.125,0.250" -> "▁[0." 1 2 5 ",0." 2 5 0.
BOX_MERGES = [("0", "."), ("[", "0."), (",", "0."), (SPACE, "[0.")]


def learn_merges(texts):
    """BPE merges (most frequent adjacent pair first, ties to the smallest pair) until every word
    of the texts, with and without a leading "▁", is one symbol."""
    words = set()
    for t in texts:
        for w in _WORD.findall(t):
            words.add(w)
            words.add(SPACE + w)
    return merge_until_whole([list(w) for w in sorted(words)], BOX_MERGES)


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.rank = {m: i for i, m in enumerate(self.merges)}
        pieces = [UNK, BOS, EOS] + [f"<0x{b:02X}>" for b in range(256)]
        pieces += [chr(c) for c in range(0x21, 0x7F)] + [SPACE]
        for a, b in self.merges:
            if a + b not in pieces:
                pieces.append(a + b)
        self.vocab = {p: i for i, p in enumerate(pieces)}
        self.vocab[IMAGE] = len(pieces)
        self.vocab[PAD] = len(pieces) + 1
        self.pieces = {i: p for p, i in self.vocab.items()}
        self.unk, self.bos, self.eos = 0, 1, 2
        self.image, self.pad = self.vocab[IMAGE], self.vocab[PAD]

    def _bpe(self, text):
        s = list(text)
        while len(s) > 1:
            ranked = [(self.rank.get(p, len(self.rank)), k) for k, p in enumerate(zip(s, s[1:]))]
            r, _ = min(ranked)
            if r == len(self.rank):
                break
            s = _merge_once(s, self.merges[r])
        ids = []
        for p in s:
            if p in self.vocab:
                ids.append(self.vocab[p])
            else:
                ids += [self.vocab[f"<0x{b:02X}>"] for b in p.encode("utf-8")]
        return ids

    def encode(self, text, bos=True, image_token=True):
        """Ids of a text as Hugging Face's tokenizer gives them (with `image_token`, "<image>" is the
        added token; special-token literals other than <image> are not parsed)."""
        ids = [self.bos] if bos else []
        parts = text.split(IMAGE) if image_token else [text]
        for k, part in enumerate(parts):
            if k:
                ids.append(self.image)
            if part:
                ids += self._bpe(SPACE + part.replace(" ", SPACE))
        return ids

    def continuation(self, text):
        """Ids of text that follows a prompt in the same stretch (no "▁" prepended), e.g. an answer
        " red" after "ASSISTANT:"."""
        return self._bpe(text.replace(" ", SPACE))

    def decode(self, ids):
        out, raw = [], b""
        for i in ids:
            p = self.pieces[i]
            if p.startswith("<0x") and len(p) == 6:
                raw += bytes([int(p[3:5], 16)])
                continue
            if raw:
                out.append(raw.decode("utf-8", "replace"))
                raw = b""
            if i in (self.bos, self.eos, self.pad, self.unk):
                continue
            out.append(p.replace(SPACE, " "))
        if raw:
            out.append(raw.decode("utf-8", "replace"))
        text = "".join(out)
        return text[1:] if text.startswith(" ") else text

    def tokenizer_json(self, image_token=True):
        """llava-hf's file (with "<image>" and "<pad>" added), or without them: the LLaVA
        repository's, whose prompts are split at "<image>" markers."""
        def added(i, content):
            return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                    "normalized": False, "special": True}

        base = {p: i for p, i in self.vocab.items() if p not in (IMAGE, PAD)}
        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added(0, UNK), added(1, BOS), added(2, EOS)] +
                            ([added(self.image, IMAGE), added(self.pad, PAD)] if image_token else []),
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": SPACE}, {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
            "pre_tokenizer": None,
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": BOS, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                               "special_tokens": {BOS: {"id": BOS, "ids": [1], "tokens": [BOS]}}},
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"},
                {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": UNK, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                      "vocab": base, "merges": [a + " " + b for a, b in self.merges]},
        }

    @staticmethod
    def tokenizer_config(pad=True):
        c = {"add_bos_token": True, "add_eos_token": False, "bos_token": BOS, "eos_token": EOS, "unk_token": UNK,
             "clean_up_tokenization_spaces": False, "legacy": True, "model_max_length": 512,
             "tokenizer_class": "LlamaTokenizer", "chat_template": CHAT_TEMPLATE}
        if pad:
            c["pad_token"] = PAD
        return c
