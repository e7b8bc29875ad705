import base64
import json
import os
import pathlib
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("FACET_BUILD_DIR", ROOT / "build"))
FACET = str(BUILD / "bin" / "facet")
MODELS = ROOT / "tests" / "models"
# Under the sanitizer run (scripts/test.sh) LD_PRELOAD carries the ASan runtime and ctest turns leak
# checks off for this Python process: facet itself runs with leak checks back on; node and
# Chromium run without the runtime.
FACET_ENV = dict(os.environ, ASAN_OPTIONS=os.environ.get("FACET_ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "")))
PLAIN_ENV = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}


class Server:
    """`facet serve` on a free localhost port, stopped with SIGTERM."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([FACET, "serve", "--port", "0", *map(str, args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=FACET_ENV)
        line = self.proc.stdout.readline()
        m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
        assert m, line + self.proc.stderr.read()
        self.url = f"http://127.0.0.1:{m.group(1)}"
        ready = self.proc.stdout.readline()
        assert ready.startswith("ready:"), ready + self.proc.stderr.read()

    def request(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def post(self, path, body, **kw):
        status, data, headers = self.request("POST", path, body, **kw)
        return status, json.loads(data) if data and not data.startswith(b"data:") else data

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


@pytest.fixture(scope="module")
def server():
    s = Server("--model", f"llava={MODELS / 'llava_tiny'}", "--model", f"llama={MODELS / 'llama_tiny'}",
               "--model", f"clip={MODELS / 'clip_tiny'}", "--model", f"sd={MODELS / 'sd_tiny'}", "--parallel", "4", "--queue", "16")
    yield s
    assert s.stop() == 0


def data_url(path):
    kind = "jpeg" if str(path).endswith(".jpg") else "png"
    return f"data:image/{kind};base64," + base64.b64encode(pathlib.Path(path).read_bytes()).decode()


def cli(*args):
    return subprocess.run([FACET, "-q", *map(str, args)], check=True, capture_output=True, text=True, env=FACET_ENV).stdout
