"""The chat page (GET /) in headless Chromium: an image attached, a question sent, the streamed
answer shown; a screenshot is kept as the test's artifact (<build>/serve-page.png)."""
import json
import subprocess

from conftest import PLAIN_ENV, BUILD, MODELS, ROOT, Server, cli

JS = ROOT / "tests" / "serve" / "js"


def test_the_page_chats_with_an_image_in_chromium():
    assert (JS / "node_modules" / "playwright-core").is_dir(), "run scripts/install-deps.sh (npm ci in tests/serve/js)"
    s = Server("--model", f"llava={MODELS / 'llava_tiny'}")
    try:
        photo = MODELS / "images" / "photo_50x33.jpg"
        shot = BUILD / "serve-page.png"
        out = subprocess.run(["node", str(JS / "page.mjs"), s.url, str(photo), str(shot)], check=True,
                             capture_output=True, text=True, timeout=300, env=PLAIN_ENV)
        r = json.loads(out.stdout)
        want = json.loads(cli("run", "--model", MODELS / "llava_tiny", "--image", photo, "--prompt",
                              "What is in the image?", "--max-tokens", 256, "--json"))
        assert r["answer"] == want["text"]
        assert r["user_images"] == 1
        assert shot.stat().st_size > 1000
    finally:
        assert s.stop() == 0
