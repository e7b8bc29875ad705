"""The official `openai` npm package (tests/serve/js, installed by scripts/install-deps.sh) as a
client of facet serve: it must read every answer the way it reads OpenAI's."""
import json
import subprocess

import numpy as np

from conftest import PLAIN_ENV, MODELS, ROOT, Server, cli

JS = ROOT / "tests" / "serve" / "js"


def test_the_openai_npm_client_reads_every_answer():
    assert (JS / "node_modules" / "openai").is_dir(), "run scripts/install-deps.sh (npm ci in tests/serve/js)"
    s = Server("--model", f"llava={MODELS / 'llava_tiny'}", "--model", f"clip={MODELS / 'clip_tiny'}",
               "--model", f"sd={MODELS / 'sd_tiny'}", "--api-key", "k3y")
    try:
        photo = MODELS / "images" / "photo_50x33.jpg"
        out = subprocess.run(["node", str(JS / "client.mjs"), s.url, str(photo)], check=True, capture_output=True,
                             text=True, timeout=300, env=PLAIN_ENV)
        r = json.loads(out.stdout)
        want = json.loads(cli("run", "--model", MODELS / "llava_tiny", "--image", photo, "--prompt",
                              "What is in the image?", "--max-tokens", 12, "--json"))
        assert r["models"] == ["llava", "clip", "sd"]
        assert r["chat"] == want["text"] == r["streamed"]
        assert r["finish"] == "length" and r["chunks"] >= 3
        assert r["usage"] == r["streamed_usage"] == {"prompt_tokens": want["prompt_tokens"], "completion_tokens": 12,
                                                     "total_tokens": want["prompt_tokens"] + 12}
        golden = np.load(MODELS / "goldens" / "clip_tiny" / "text.cat.embeds.npy").reshape(-1)
        assert r["embeddings"] == [golden.size, golden.size]
        assert np.abs(np.array(r["first"]) - golden[:4]).max() <= 1e-4 * np.abs(golden).max()
        assert r["image_bytes"] > 100
        assert r["rejected"] == {"status": 404, "type": "not_found_error"}
    finally:
        assert s.stop() == 0
