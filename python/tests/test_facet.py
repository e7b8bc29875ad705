"""The Python package against the PyTorch goldens of the C++ tests and against the facet CLI."""
import json
import subprocess
import threading

import numpy as np
import pytest
from PIL import Image

import facet


def npy(path):
    return np.load(str(path))


def run_cli(facet_cli, *args):
    out = subprocess.run([facet_cli, "-q", *map(str, args)], check=True, capture_output=True, text=True)
    return out.stdout


@pytest.fixture(autouse=True)
def no_validation_messages(device):
    yield
    assert device.validation_messages == 0


def test_version_and_devices(device):
    assert facet.__version__.count(".") == 2
    assert facet.devices() and device.name


def test_clip_embeddings_match_the_goldens(device, models):
    clip = facet.Model(str(models / "clip_tiny"), device=device)
    assert clip.kind == "clip"
    names = ["photo_50x33.jpg", "exif6_40x24.jpg", "rgb_37x23.png"]
    paths = [str(models / "images" / n) for n in names]
    emb = clip.embed_images(paths)
    assert emb.dtype == np.float32 and emb.shape[0] == 3
    for i, n in enumerate(names):
        want = npy(models / "goldens" / "clip_tiny" / f"{n}.embeds.npy").reshape(-1)
        assert np.abs(emb[i] - want).max() <= 1e-4 * np.abs(want).max()
    # Bytes and arrays give the same numbers as paths (EXIF orientation: PIL's exif_transpose).
    from PIL import ImageOps
    arrays = [np.asarray(ImageOps.exif_transpose(Image.open(p)).convert("RGB")) for p in paths]
    assert np.array_equal(clip.embed_images(arrays), emb)
    raw = [open(p, "rb").read() for p in paths]
    assert np.array_equal(clip.embed_images(raw), emb)
    texts = json.load(open(models / "goldens" / "clip_tiny" / "texts.json"))["strings"]
    t = clip.embed_texts([texts["cat"]["text"], texts["dog"]["text"]])
    for row, name in zip(t, ["cat", "dog"]):
        want = npy(models / "goldens" / "clip_tiny" / f"text.{name}.embeds.npy").reshape(-1)
        assert np.abs(row - want).max() <= 1e-4 * np.abs(want).max()
    p = clip.classify(paths[:1], ["a photo of a cat.", "a photo of a dog."])
    assert p.shape == (1, 2) and abs(float(p.sum()) - 1) < 1e-5


def test_generate_and_stream_match_the_goldens(device, models):
    llm = facet.Model(str(models / "llama_tiny"), device=device)
    case = json.load(open(models / "goldens" / "llama_tiny" / "cases.json"))[0]
    n = len(case["greedy"])
    text = llm.generate(case["text"], max_tokens=n)
    stream = llm.generate_stream(case["text"], max_tokens=n)
    pieces = list(stream)
    assert "".join(pieces) == text and len(pieces) > 1
    assert stream.result["tokens"] == case["greedy"]
    assert stream.result["finish_reason"] == "length"
    # Closing a stream early cancels the generation.
    early = llm.generate_stream(case["text"], max_tokens=n)
    next(early)
    early.close()


def test_parallel_model_batches_threads_with_the_same_replies(device, models):
    cases = json.load(open(models / "goldens" / "llama_tiny" / "cases.json"))
    llm = facet.Model(str(models / "llama_tiny"), device=device, context=256, parallel=3)
    got = {}

    def work(i, c):
        stream = llm.generate_stream(c["text"], max_tokens=len(c["greedy"]))
        got[i] = ("".join(stream), stream.result["tokens"])

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(cases)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, c in enumerate(cases):
        assert got[i][1] == c["greedy"]
    with pytest.raises(facet.UsageError):
        facet.Model(str(models / "llama_tiny"), device=device, parallel=0)


def test_the_gil_is_released_while_the_model_runs(device, models):
    llm = facet.Model(str(models / "llama_tiny"), device=device, context=512)
    counted = []
    done = threading.Event()

    def work():
        llm.generate("Hello world", max_tokens=200)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
    t.join()
    counted.append(ticks)
    assert counted[0] > 1000  # this thread kept running Python while the other generated


def test_llava_answers_as_the_cli(device, models, facet_cli):
    llava = facet.Model(str(models / "llava_tiny"), device=device)
    assert llava.takes_images
    image = models / "images" / "photo_50x33.jpg"
    want = json.loads(run_cli(facet_cli, "run", "--model", models / "llava_tiny", "--image", image,
                              "--prompt", "What is in the image?", "--max-tokens", 12, "--json"))
    assert llava.generate("What is in the image?", images=[str(image)], max_tokens=12) == want["text"]
    assert llava.chat([{"role": "user", "content": "What is in the image?", "images": [str(image)]}],
                      max_tokens=12) == want["text"]


def test_ground_as_the_cli(device, models, facet_cli):
    kosmos = facet.Model(str(models / "kosmos2_tiny"), device=device)
    image = models / "images" / "rgb_37x23.png"
    want = json.loads(run_cli(facet_cli, "ground", "--model", models / "kosmos2_tiny", "--image", image,
                              "--max-tokens", 16, "--json"))
    assert kosmos.ground(str(image), max_tokens=16) == want


def test_txt2img_as_the_cli(device, models, facet_cli, tmp_path):
    sd = facet.Model(str(models / "sd_tiny"), device=device)
    assert sd.kind == "image_generator"
    out = tmp_path / "cli.png"
    run_cli(facet_cli, "txt2img", "--model", models / "sd_tiny", "--prompt", "a red car", "--steps", 3,
            "--seed", 5, "--out", out)
    img = sd.txt2img("a red car", steps=3, seed=5)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert np.array_equal(img, np.asarray(Image.open(out).convert("RGB")))


def test_mine_pairs_as_the_cli(device, models, demo, facet_cli, tmp_path):
    images = sorted(str(p) for p in (models / "images").iterdir() if p.suffix in (".png", ".jpg"))
    clip = facet.Model(str(models / "clip_tiny"), device=device)
    dino = facet.Model(str(models / "dinov2_tiny"), device=device)
    pairs = facet.mine_pairs(clip, dino, images, clip_threshold=0.0, dino_threshold=0.99)
    out = tmp_path / "pairs.csv"
    run_cli(facet_cli, "mine-pairs", "--clip", models / "clip_tiny", "--dino", models / "dinov2_tiny",
            "--images", models / "images", "--out", out, "--clip-threshold", 0.0, "--dino-threshold", 0.99)
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    assert pairs and len(pairs) == len(rows)
    for (a, b, c, d), row in zip(pairs, rows):
        assert (a, b) == (row[0], row[1])
        assert abs(c - float(row[2])) < 1e-5 and abs(d - float(row[3])) < 1e-5


def test_mmvp_as_the_cli(device, demo, facet_cli, tmp_path):
    model = facet.Model(str(demo / "models" / "demo-llava"), device=device)
    data = demo / "bench" / "mmvp"
    r = facet.mmvp(model, str(data), limit=6, name="demo-llava")
    want = json.loads(run_cli(facet_cli, "mmvp", "--model", demo / "models" / "demo-llava", "--data", data,
                              "--limit", 6, "--json", "--out", tmp_path / "m.jsonl", "--chart", tmp_path / "m.svg"))
    assert r["pairs"] == want["pairs"] == 3
    assert r["pair_accuracy"] == pytest.approx(want["pair_accuracy"])
    lines = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert [a["answer"] for a in r["answers"]] == [x["answer"] for x in lines]


def test_errors_are_facet_errors(device, models):
    with pytest.raises(facet.InputError, match="no_such_model"):
        facet.Model(str(models / "no_such_model"), device=device)
    clip = facet.Model(str(models / "clip_tiny"), device=device)
    with pytest.raises(facet.UsageError):
        clip.generate("hello")
    with pytest.raises(facet.InputError):
        clip.embed_images([np.zeros((4, 4), dtype=np.uint8)])
    with pytest.raises(facet.InputError):
        clip.embed_images([b"not an image"])
    llm = facet.Model(str(models / "llama_tiny"), device=device)
    with pytest.raises(facet.InputError):
        llm.generate("hi", temperature=float("nan"))
    with pytest.raises(facet.UsageError):
        llm.generate("hi", prompt_mode="sideways")
    assert issubclass(facet.InputError, facet.Error)
