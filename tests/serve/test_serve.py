"""facet serve through HTTP: answers equal the CLI's, streaming, auth, limits and shutdown."""
import base64
import io
import json
import re
import socket
import threading
import time

import numpy as np
import pytest
from PIL import Image

from conftest import MODELS, Server, cli, data_url

PHOTO = MODELS / "images" / "photo_50x33.jpg"
QUESTION = "What is in the image?"


def chat_body(model="llava", stream=False, **kw):
    return {"model": model, "max_tokens": 12, "stream": stream,
            "messages": [{"role": "user", "content": [{"type": "text", "text": QUESTION},
                                                      {"type": "image_url", "image_url": {"url": data_url(PHOTO)}}]}],
            **kw}


def sse_events(raw):
    events = [e[len("data: "):] for e in raw.decode().split("\n\n") if e.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def test_health_and_models(server):
    status, body = server.request("GET", "/health")[:2]
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, body = server.request("GET", "/v1/models")[:2]
    ids = {m["id"]: m["kind"] for m in json.loads(body)["data"]}
    assert ids == {"llava": "language", "llama": "language", "clip": "clip", "sd": "image_generator"}


def test_chat_with_an_image_equals_the_cli(server):
    want = json.loads(cli("run", "--model", MODELS / "llava_tiny", "--image", PHOTO, "--prompt", QUESTION,
                          "--max-tokens", 12, "--json"))
    status, r = server.post("/v1/chat/completions", chat_body())
    assert status == 200, r
    assert r["object"] == "chat.completion" and r["id"].startswith("chatcmpl-")
    assert r["choices"][0]["message"] == {"role": "assistant", "content": want["text"]}
    assert r["choices"][0]["finish_reason"] == "length"
    assert r["usage"] == {"prompt_tokens": want["prompt_tokens"], "completion_tokens": 12,
                          "total_tokens": want["prompt_tokens"] + 12}


def test_streaming_gives_the_same_text(server):
    _, whole = server.post("/v1/chat/completions", chat_body())
    status, raw = server.post("/v1/chat/completions", chat_body(stream=True, stream_options={"include_usage": True}))
    assert status == 200
    events = sse_events(raw)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant"}
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e["choices"])
    assert text == whole["choices"][0]["message"]["content"]
    assert [e["choices"][0]["finish_reason"] for e in events if e["choices"]][-1] == "length"
    assert events[-1]["usage"] == whole["usage"] and events[-1]["choices"] == []


def test_completion_equals_facet_generate(server):
    want = json.loads(cli("generate", "--model", MODELS / "llama_tiny", "--prompt", "Hello world", "--max-tokens", 8, "--json"))
    status, r = server.post("/v1/completions", {"model": "llama", "prompt": "Hello world", "max_tokens": 8})
    assert status == 200 and r["choices"][0]["text"] == want["text"]


def test_embeddings_equal_the_goldens(server):
    texts = json.load(open(MODELS / "goldens" / "clip_tiny" / "texts.json"))["strings"]
    status, r = server.post("/v1/embeddings", {"model": "clip", "input": [texts["cat"]["text"], data_url(PHOTO)]})
    assert status == 200, r
    want = np.load(MODELS / "goldens" / "clip_tiny" / "text.cat.embeds.npy").reshape(-1)
    got = np.array(r["data"][0]["embedding"], dtype=np.float32)
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()
    want_image = np.load(MODELS / "goldens" / "clip_tiny" / "photo_50x33.jpg.embeds.npy").reshape(-1)
    got_image = np.array(r["data"][1]["embedding"], dtype=np.float32)
    assert np.abs(got_image - want_image).max() <= 1e-4 * np.abs(want_image).max()
    assert [d["index"] for d in r["data"]] == [0, 1]


def test_images_equal_facet_txt2img(server, tmp_path):
    cli("txt2img", "--model", MODELS / "sd_tiny", "--prompt", "a red car", "--steps", 3, "--seed", 4, "--out", tmp_path / "a.png")
    status, r = server.post("/v1/images/generations", {"model": "sd", "prompt": "a red car", "steps": 3, "seed": 4,
                                                        "response_format": "b64_json"})
    assert status == 200, r
    got = np.asarray(Image.open(io.BytesIO(base64.b64decode(r["data"][0]["b64_json"]))).convert("RGB"))
    assert np.array_equal(got, np.asarray(Image.open(tmp_path / "a.png").convert("RGB")))


def test_eight_clients_at_once_get_what_one_gets(server):
    # --parallel 4: four replies decode in one batched step, four more wait and join as slots free;
    # chats with images and streamed completions of another model at once.
    _, alone = server.post("/v1/chat/completions", chat_body())
    _, alone_text = server.post("/v1/completions", {"model": "llama", "prompt": "Hello world", "max_tokens": 20})
    results = [None] * 8

    def ask(i):
        if i % 2:
            results[i] = server.post("/v1/chat/completions", chat_body(max_tokens=12 + i))
        else:
            status, raw = server.post("/v1/completions", {"model": "llama", "prompt": "Hello world", "max_tokens": 20,
                                                          "stream": True})
            results[i] = (status, "".join(e["choices"][0]["text"] for e in sse_events(raw) if e["choices"]))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (status, r) in enumerate(results):
        assert status == 200, r
        if i % 2:
            assert r["choices"][0]["message"]["content"].startswith(alone["choices"][0]["message"]["content"])
            assert r["usage"]["completion_tokens"] == 12 + i
        else:
            assert r == alone_text["choices"][0]["text"]


# (status, body) pairs: malformed JSON, wrong types, out-of-range values, bad images, unknown models.
BAD = [
    (400, b"{not json"), (400, b"[1, 2]"), (400, b'"a string"'), (400, b"{}"),
    (400, {"messages": []}), (400, {"messages": "hello"}), (400, {"messages": [1]}),
    (400, {"messages": [{"role": "user"}]}), (400, {"messages": [{"content": "hi"}]}),
    (400, {"messages": [{"role": "wizard", "content": "hi"}]}),
    (400, {"messages": [{"role": "assistant", "content": "hi"}]}),
    (400, {"messages": [{"role": "user", "content": 5}]}),
    (400, {"messages": [{"role": "user", "content": [{"type": "audio"}]}]}),
    (400, {"messages": [{"role": "user", "content": [{"type": "text"}]}]}),
    (400, {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}),
    (400, {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@@"}}]}]}),
    (400, {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,aGVsbG8="}}]}]}),
    (400, {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]}),
    (400, {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:text/plain;base64,aGk="}}]}]}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": "ten"}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10 ** 9}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "temperature": -1}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "top_p": 2}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "stop": [1]}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}),
    (400, {"messages": [{"role": "user", "content": "hi"}], "n": 2}),
    (404, {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}),
    (400, {"model": "clip", "messages": [{"role": "user", "content": "hi"}]}),
    (400, {"model": 7, "messages": [{"role": "user", "content": "hi"}]}),
    (400, {"model": "llama", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": None}}]}]}),
]


@pytest.mark.parametrize("status,body", BAD)
def test_bad_chat_requests_get_their_status(server, status, body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    got, data, _ = server.request("POST", "/v1/chat/completions", raw=raw)
    assert got == status, data
    err = json.loads(data)["error"]
    assert err["message"] and err["type"]


@pytest.mark.parametrize("path,body,status", [
    ("/v1/embeddings", {"model": "clip"}, 400),
    ("/v1/embeddings", {"model": "clip", "input": []}, 400),
    ("/v1/embeddings", {"model": "clip", "input": [1]}, 400),
    ("/v1/embeddings", {"model": "llava", "input": "hi"}, 400),
    ("/v1/embeddings", {"model": "clip", "input": "hi", "encoding_format": "int8"}, 400),
    ("/v1/images/generations", {"model": "sd"}, 400),
    ("/v1/images/generations", {"model": "sd", "prompt": "x", "size": "big"}, 400),
    ("/v1/images/generations", {"model": "sd", "prompt": "x", "size": "99999x64"}, 400),
    ("/v1/images/generations", {"model": "sd", "prompt": "x", "n": 9}, 400),
    ("/v1/images/generations", {"model": "sd", "prompt": "x", "response_format": "url"}, 400),
    ("/v1/images/generations", {"model": "sd", "prompt": "x", "size": "100x100"}, 400),
    ("/v1/completions", {"model": "llama"}, 400),
    ("/v1/completions", {"model": "llama", "prompt": "x " * 5000, "max_tokens": 4}, 400),
])
def test_bad_requests_of_other_endpoints(server, path, body, status):
    got, data, _ = server.request("POST", path, body)
    assert got == status, data
    assert json.loads(data)["error"]["message"]


def test_unknown_paths_and_large_bodies_get_json_errors():
    s = Server("--model", f"clip={MODELS / 'clip_tiny'}", "--max-body-mb", "1")
    try:
        status, data, _ = s.request("POST", "/v1/embeddings", raw=b'{"input": "' + b"x" * (2 << 20) + b'"}')
        assert status == 413 and "larger" in json.loads(data)["error"]["message"]
        status, data, _ = s.request("GET", "/v1/nothing")
        assert status == 404 and json.loads(data)["error"]["type"] == "not_found_error"
    finally:
        assert s.stop() == 0


def test_api_key_and_overload():
    s = Server("--model", f"sd={MODELS / 'sd_tiny'}", "--api-key", "s3cret", "--parallel", "1", "--queue", "0")
    try:
        assert s.post("/v1/images/generations", {"prompt": "x", "steps": 1})[0] == 401
        assert s.post("/v1/images/generations", {"prompt": "x", "steps": 1}, headers={"Authorization": "Bearer nope"})[0] == 401
        auth = {"Authorization": "Bearer s3cret"}
        assert s.request("GET", "/health")[0] == 200  # probes need no key
        results = []
        slow = threading.Thread(target=lambda: results.append(
            s.post("/v1/images/generations", {"prompt": "x", "steps": 60}, headers=auth)[0]))
        slow.start()
        time.sleep(0.5)
        status, _, headers = s.request("POST", "/v1/images/generations", {"prompt": "x", "steps": 1}, headers=auth)
        assert status == 429 and headers.get("Retry-After") == "1"
        slow.join()
        assert results == [200]
        assert s.post("/v1/images/generations", {"prompt": "x", "steps": 1}, headers=auth)[0] == 200
        metrics = s.request("GET", "/metrics", headers=auth)[1].decode()
        assert 'facet_errors_total{kind="overloaded"} 1' in metrics
        assert 'facet_errors_total{kind="auth"} 2' in metrics
    finally:
        assert s.stop() == 0


def test_a_client_that_disconnects_frees_its_slot_and_sigterm_ends_the_server():
    # llava_tiny's language model (random weights, 128 positions) never ends a reply early.
    s = Server("--model", f"llava={MODELS / 'llava_tiny'}", "--parallel", "1", "--queue", "0")
    try:
        status, full = s.post("/v1/completions", {"prompt": "Hello", "max_tokens": 400})
        assert status == 200 and full["usage"]["completion_tokens"] > 100
        host, port = s.url[len("http://"):].split(":")
        body = json.dumps({"prompt": "Hello", "max_tokens": 400, "stream": True}).encode()
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        got = b""
        while b"data: " not in got:
            chunk = sock.recv(4096)
            assert chunk, got
            got += chunk
        sock.close()  # gone mid-stream
        deadline = time.time() + 20
        while True:
            status, r = s.post("/v1/completions", {"prompt": "Hello", "max_tokens": 2})
            if status == 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert status == 200, r
        # The abandoned stream stopped within a few tokens of the disconnect, not at the context's end.
        metrics = s.request("GET", "/metrics")[1].decode()
        generated = int(re.search(r"^facet_generated_tokens_total (\d+)$", metrics, re.M).group(1))
        abandoned = generated - full["usage"]["completion_tokens"] - 2
        print("abandoned stream generated", abandoned, "of", full["usage"]["completion_tokens"])
        assert abandoned < full["usage"]["completion_tokens"] // 2, metrics
        # SIGTERM while a request runs: the server stops, the request ends, exit code 0.
        threading.Thread(target=lambda: s.post("/v1/completions", {"prompt": "Hi", "max_tokens": 400}),
                         daemon=True).start()
        time.sleep(0.3)
    finally:
        t0 = time.time()
        assert s.stop(timeout=30) == 0
        assert time.time() - t0 < 30


def test_grounded_answers_equal_facet_ground():
    s = Server("--model", f"kosmos={MODELS / 'kosmos2_tiny'}")
    try:
        image = MODELS / "images" / "rgb_37x23.png"
        want = json.loads(cli("ground", "--model", MODELS / "kosmos2_tiny", "--image", image, "--prompt", "An image of",
                              "--max-tokens", 16, "--json"))
        status, r = s.post("/v1/chat/completions", {"grounding": True, "max_tokens": 16, "messages": [
            {"role": "user", "content": [{"type": "text", "text": "An image of"},
                                         {"type": "image_url", "image_url": {"url": data_url(image)}}]}]})
        assert status == 200, r
        assert r["choices"][0]["grounding"] == want
        assert r["choices"][0]["message"]["content"] == want["text"]
        assert r["usage"]["completion_tokens"] > 0
        status, r = s.post("/v1/chat/completions", {"grounding": True, "messages": [{"role": "user", "content": "no image"}]})
        assert status == 400 and r["error"]["param"] == "messages"
    finally:
        assert s.stop() == 0
