#!/usr/bin/env python3
"""Writes the hand-made seeds of the gguf and npy fuzz corpora (corpus/gguf, corpus/npy): small
valid files that reach every value type and layout, and broken ones around the edges the readers
check. Standard library only; run from anywhere. The other corpora are copies of test files."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_kv(key, vtype, payload):
    return gguf_string(key) + struct.pack("<I", vtype) + payload


def gguf(version=3, tensors=True, extra_kv=b"", n_extra=0):
    kvs = [
        gguf_kv("general.architecture", 8, gguf_string("llama")),
        gguf_kv("general.alignment", 4, struct.pack("<I", 32)),
        gguf_kv("llama.attention.head_count", 4, struct.pack("<I", 2)),
        gguf_kv("llama.rope.freq_base", 6, struct.pack("<f", 10000.0)),
        gguf_kv("llama.use_parallel_residual", 7, struct.pack("<B", 1)),
        gguf_kv("general.file_type", 10, struct.pack("<Q", 7)),
        gguf_kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 3) + b"".join(gguf_string(t) for t in ["<s>", "a", "b"])),
        gguf_kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<3f", 0, -1, -2)),
        gguf_kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, 3) + struct.pack("<3i", 3, 1, 1)),
        gguf_kv("general.weight", 12, struct.pack("<d", 0.5)),
        gguf_kv("general.count", 11, struct.pack("<q", -3)),
    ]
    infos = []
    data = b""
    if tensors:
        # F32 [2, 4] and Q8_0 [32] (one block: f16 scale + 32 int8).
        infos.append(gguf_string("a.weight") + struct.pack("<I", 2) + struct.pack("<QQ", 4, 2) + struct.pack("<I", 0) + struct.pack("<Q", 0))
        infos.append(gguf_string("b.weight") + struct.pack("<I", 1) + struct.pack("<Q", 32) + struct.pack("<I", 8) + struct.pack("<Q", 32))
        data = struct.pack("<8f", *range(8)) + b"\x00" * 0 + struct.pack("<e", 0.25) + bytes(range(32))
    count = struct.pack("<QQ", len(infos), len(kvs) + n_extra) if version >= 2 else struct.pack("<II", len(infos), len(kvs) + n_extra)
    head = b"GGUF" + struct.pack("<I", version) + count + b"".join(kvs) + extra_kv + b"".join(infos)
    head += b"\x00" * (-len(head) % 32)
    return head + data


def npy(header, payload, version=1):
    h = header.encode()
    if version == 1:
        pre = b"\x93NUMPY\x01\x00"
        h += b" " * (-(10 + len(h) + 1) % 64) + b"\n"
        return pre + struct.pack("<H", len(h)) + h + payload
    pre = b"\x93NUMPY" + bytes([version, 0])
    h += b" " * (-(12 + len(h) + 1) % 64) + b"\n"
    return pre + struct.pack("<I", len(h)) + h + payload


def write(folder, name, data):
    with open(os.path.join(HERE, "corpus", folder, name), "wb") as f:
        f.write(data)


def main():
    good = gguf()
    write("gguf", "v3.gguf", good)
    write("gguf", "v2.gguf", gguf(version=2))
    write("gguf", "no-tensors.gguf", gguf(tensors=False))
    write("gguf", "cut-in-metadata.gguf", good[:60])
    write("gguf", "cut-in-data.gguf", good[:-20])
    write("gguf", "huge-count.gguf", good[:8] + struct.pack("<QQ", 1 << 62, 1 << 62) + good[24:])
    write("gguf", "huge-string.gguf", gguf(extra_kv=gguf_kv("x", 8, struct.pack("<Q", 1 << 60)), n_extra=1))
    write("gguf", "nested-array.gguf", gguf(extra_kv=gguf_kv("y", 9, struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 4, 1) + struct.pack("<I", 7)), n_extra=1))
    write("gguf", "bad-type.gguf", gguf(extra_kv=gguf_kv("z", 99, b""), n_extra=1))

    f4 = struct.pack("<6f", *range(6))
    write("npy", "f4-2x3.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4))
    write("npy", "f2-6.npy", npy("{'descr': '<f2', 'fortran_order': False, 'shape': (6,), }", struct.pack("<6e", *range(6))))
    write("npy", "i4-scalar.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", struct.pack("<i", 7)))
    write("npy", "v2.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f4, version=2))
    write("npy", "double-quotes.npy", npy('{"descr": "<f4", "fortran_order": False, "shape": (3, 2)}', f4))
    write("npy", "negative-dim.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", f4))
    write("npy", "big-endian.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", f4))
    write("npy", "fortran.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f4))
    write("npy", "wrong-size.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }", f4))
    write("npy", "overflow.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999, 999999999999999), }", f4))
    write("npy", "long-whitespace.npy", npy("{'descr': '<f4',  " + " " * 4000 + "'fortran_order': False, 'shape': (6,), }", f4))
    write("npy", "unterminated.npy", npy("{'descr': '<f4, 'shape': (6,", f4))
    write("npy", "rank5.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 2, 3), }", f4))


if __name__ == "__main__":
    main()
