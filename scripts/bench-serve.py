#!/usr/bin/env python3
"""A bounded load on `facet serve` over localhost: for 1, 2, 4 and 8 concurrent streaming clients,
each asking for `--tokens` new tokens `--rounds` times, the aggregate decode rate (all streams'
tokens over the wall time from the first token to the last) and the time to first token (p50,
p99). The model defaults to a random 109.5M-parameter LLaMA GGUF (facet-make-gguf), as in
docs/benchmarks.md's other LLM figures.

    scripts/bench-serve.py [--build build] [--model PATH] [--tokens 32] [--rounds 3] [--parallel 8]

The server runs with `--parallel` slots (continuous batching: one decode step for all running
streams; 1 runs them one after another) and `--context 512`. Each concurrency level gets one
warm-up round first (the graphs of each batch size are built and recorded once).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stream(url, prompt, tokens, out):
    body = json.dumps({"prompt": prompt, "max_tokens": tokens, "stream": True, "temperature": 0,
                       "stream_options": {"include_usage": True}}).encode()
    req = urllib.request.Request(url + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    first = last = None
    n = 0
    with urllib.request.urlopen(req, timeout=600) as r:
        for line in r:
            if not line.startswith(b"data: ") or line.strip() == b"data: [DONE]":
                continue
            j = json.loads(line[6:])
            if j.get("choices") and j["choices"][0].get("text"):
                now = time.perf_counter()
                first = first or now
                last = now
            if j.get("usage"):
                n = j["usage"]["completion_tokens"]
    out.append({"ttft": first - t0, "first": first, "last": last, "tokens": n})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model")
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--parallel", type=int, default=8)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = a.model
        if not model:
            model = os.path.join(tmp, "m.gguf")
            subprocess.run([os.path.join(a.build, "bin", "facet-make-gguf"), "random", model, "--type", "q8_0"],
                           check=True, stdout=subprocess.DEVNULL)
        proc = subprocess.Popen([os.path.join(a.build, "bin", "facet"), "-q", "serve", "--port", "0", "--model", model,
                                 "--parallel", str(a.parallel), "--context", "512"], stdout=subprocess.PIPE, text=True)
        try:
            url = "http://127.0.0.1:" + re.search(r":(\d+)$", proc.stdout.readline().strip()).group(1)
            proc.stdout.readline()  # ready
            stream(url, "Once upon a time", 4, [])  # warm-up: graphs built and recorded
            print(f"| streams | aggregate decode tokens/s | per stream | TTFT p50 | TTFT p99 |")
            print(f"| ---: | ---: | ---: | ---: | ---: |")
            for n in (1, 2, 4, 8):
                rates, ttfts = [], []
                for r in range(a.rounds + 1):
                    out = []
                    threads = [threading.Thread(target=stream, args=(url, f"Once upon a time {i}", a.tokens, out))
                               for i in range(n)]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    if r == 0:
                        continue  # warm-up
                    span = max(o["last"] for o in out) - min(o["first"] for o in out)
                    rates.append(sum(o["tokens"] for o in out) / span)
                    ttfts += [o["ttft"] for o in out]
                ttfts.sort()
                rate = statistics.median(rates)
                p99 = ttfts[min(len(ttfts) - 1, int(round(0.99 * (len(ttfts) - 1))))]
                print(f"| {n} | {rate:.1f} | {rate / n:.1f} | {1000 * statistics.median(ttfts):.0f} ms | {1000 * p99:.0f} ms |")
        finally:
            proc.terminate()
            proc.wait(60)


if __name__ == "__main__":
    main()
