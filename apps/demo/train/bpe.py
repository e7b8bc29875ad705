"""A CLIP-style byte-level BPE tokenizer for a small closed vocabulary.

The tokenizer.json has openai/clip-vit-*'s pipeline (NFC, whitespace runs to one space,
lowercase; the CLIP split pattern; byte-level alphabet; "</w>" ends words; <|startoftext|> ...
<|endoftext|>), with merges learned here until every word of the given vocabulary is a single
token. encode() applies the same pipeline in Python (for the ASCII text the world writes), so
training sees the ids Facet's and transformers' tokenizers give."""
import re
import unicodedata

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
_SPLIT_ASCII = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+")


def byte_alphabet():
    """GPT-2's byte -> printable character table, as a list indexed by byte."""
    keep = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    table, extra = [], 0
    for b in range(256):
        if b in keep:
            table.append(chr(b))
        else:
            table.append(chr(256 + extra))
            extra += 1
    return table


def _symbols(word, alphabet):
    s = [alphabet[b] for b in word.encode("utf-8")]
    s[-1] += "</w>"
    return s


def _merge_once(symbols, pair):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def learn_merges(words):
    """Merges (most frequent adjacent pair first, ties to the smallest pair) until every word is
    one symbol."""
    alphabet = byte_alphabet()
    return merge_until_whole([_symbols(w, alphabet) for w in sorted(set(words))])


def merge_until_whole(seqs, merges=None):
    """BPE training on symbol sequences: the most frequent adjacent pair (ties to the smallest) is
    merged, after the given merges, until every sequence is one symbol."""
    merges = list(merges or [])
    while True:
        counts = {}
        for s in seqs:
            for p in zip(s, s[1:]):
                counts[p] = counts.get(p, 0) + 1
        if not counts:
            return merges
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        seqs = [_merge_once(s, best) for s in seqs]


class Tokenizer:
    def __init__(self, merges):
        self.alphabet = byte_alphabet()
        self.merges = [tuple(m) for m in merges]
        self.rank = {m: i for i, m in enumerate(self.merges)}
        vocab = self.alphabet + [c + "</w>" for c in self.alphabet] + [a + b for a, b in self.merges]
        vocab += [BOS, EOS]
        self.vocab = {t: i for i, t in enumerate(vocab)}
        if len(self.vocab) != len(vocab):
            raise ValueError("a merge repeats a token")
        self.bos, self.eos = self.vocab[BOS], self.vocab[EOS]

    def word_ids(self, word):
        s = _symbols(word, self.alphabet)
        while len(s) > 1:
            ranked = [(self.rank.get(p, len(self.rank)), k) for k, p in enumerate(zip(s, s[1:]))]
            r, k = min(ranked)
            if r == len(self.rank):
                break
            s = _merge_once(s, self.merges[r])
        return [self.vocab[t] for t in s]

    def encode(self, text):
        """<|startoftext|> ids <|endoftext|> of an ASCII text."""
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).lower()
        if not text.isascii():
            raise ValueError("encode() handles ASCII text only")
        ids = [self.bos]
        for w in _SPLIT_ASCII.findall(text):
            ids += self.word_ids(w)
        return ids + [self.eos]

    def tokenizer_json(self):
        def added(i, content, normalized):
            return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                    "normalized": normalized, "special": True}

        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added(self.bos, BOS, True), added(self.eos, EOS, False)],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
                {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": SPLIT}, "behavior": "Removed", "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "post_processor": {"type": "RobertaProcessing", "sep": [EOS, self.eos], "cls": [BOS, self.bos],
                               "trim_offsets": False, "add_prefix_space": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": EOS, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                      "vocab": self.vocab, "merges": [a + " " + b for a, b in self.merges]},
        }

    @staticmethod
    def tokenizer_config():
        return {"add_prefix_space": False, "bos_token": BOS, "do_lower_case": True, "eos_token": EOS,
                "model_max_length": 77, "pad_token": EOS, "tokenizer_class": "CLIPTokenizer", "unk_token": EOS}
