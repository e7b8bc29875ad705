"""CLIP-blind pair mining and MMVP sweeps spread over a Dask cluster.

    from distributed import Client
    import facet.dask
    client = Client("scheduler:8786")                  # or LocalCluster(n_workers=2)
    pairs = facet.dask.mine_pairs(client, "models/clip", "models/dinov2", image_paths)

Each worker loads each model once (a worker plugin keeps them for the worker's life) and embeds
the partitions of the image list it is given; the embeddings come back as arrays in the images'
order; the all-pairs search is split into blocks of rows, each a task running Facet's own search
on its share, so the result is exactly `facet mine-pairs`' (same pairs, same numbers, same order).
Workers need the model folders and images at the same paths (a shared file system).
"""
import json
import os

import numpy as np
from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

import facet

__all__ = ["FacetModels", "embed_images", "mine_pairs", "mmvp_sweep"]


class FacetModels(WorkerPlugin):
    """Loads the named models on each worker once: `worker.facet_models[name]`."""

    name = "facet-models"

    def __init__(self, models, device="", timeout_ms=120000):
        self.models = dict(models)
        self.device = device
        self.timeout_ms = timeout_ms

    def setup(self, worker):
        facet.set_log_level(os.environ.get("FACET_LOG_LEVEL", "warn"))
        dev = facet.Device(self.device, timeout_ms=self.timeout_ms)
        worker.facet_models = {name: facet.Model(path, device=dev) for name, path in self.models.items()}

    def teardown(self, worker):
        worker.facet_models = {}


def _models_on(client, models, device="", timeout_ms=120000):
    # One plugin per set of models: registering the same name again replaces the old set.
    key = str(abs(hash((tuple(sorted(models.items())), device, timeout_ms))))
    client.register_worker_plugin(FacetModels(models, device, timeout_ms), name="facet-models-" + key)


def _embed_partition(names, paths):
    loaded = get_worker().facet_models
    return {name: loaded[name].embed_images(paths) for name in names}


def embed_images(client, models, images, partition=64, device="", timeout_ms=120000):
    """Embeds `images` (paths) with every model of `models` ({name: folder}) on the cluster's
    workers, `partition` images per task. Returns {name: float32 array [len(images), dim]}.
    `device` selects each worker's Vulkan device; `timeout_ms` bounds one GPU submission (a batch
    of 8 images: raise it for large encoders on slow devices)."""
    images = [os.fspath(p) for p in images]
    if not images:
        raise facet.InputError("no images to embed")
    _models_on(client, models, device, timeout_ms)
    names = sorted(models)
    parts = [images[i:i + partition] for i in range(0, len(images), partition)]
    futures = client.map(_embed_partition, [names] * len(parts), parts, pure=False)
    results = client.gather(futures)
    return {name: np.concatenate([r[name] for r in results]) for name in names}


def _mine_share(clip, dino, clip_threshold, dino_threshold, first_block, blocks):
    return facet.mine_pairs_from_embeddings(clip, dino, clip_threshold, dino_threshold, first_block, blocks)


def mine_pairs(client, clip, dino, images, clip_threshold=0.95, dino_threshold=0.6, partition=64,
               blocks_per_task=4, device="", timeout_ms=120000):
    """CLIP-blind pairs among `images`: (image_a, image_b, clip_cosine, dino_cosine), exactly as
    `facet mine-pairs --clip CLIP --dino DINO` lists them. `clip` and `dino` are model folders."""
    images = [os.fspath(p) for p in images]
    emb = embed_images(client, {"clip": clip, "dino": dino}, images, partition, device, timeout_ms)
    c, d = client.scatter([emb["clip"], emb["dino"]], broadcast=True)
    n_blocks = (len(images) + facet.MINE_PAIRS_BLOCK - 1) // facet.MINE_PAIRS_BLOCK
    starts = list(range(0, n_blocks, blocks_per_task))
    futures = [client.submit(_mine_share, c, d, clip_threshold, dino_threshold, s, blocks_per_task, pure=False)
               for s in starts]
    pairs = [p for share in client.gather(futures) for p in share]
    return [(images[a], images[b], sc, sd) for a, b, sc, sd in pairs]


def _run_mmvp(path, data, options, out):
    model = facet.Model(path)
    result = facet.mmvp(model, data, **options)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            for a in result["answers"]:
                f.write(json.dumps(a) + "\n")
    return result


def mmvp_sweep(client, runs, out_dir=None):
    """Many MMVP runs spread over the workers. `runs` is a list of dicts with `name`, `model` (a
    folder or pipeline TOML), `data` (an MMVP folder) and optionally `limit`, `max_tokens`,
    `patterns`. Each run writes `<out_dir>/<name>.jsonl` when out_dir is given. Returns
    (results by name, the summary table as text: one row per run, one column per pattern)."""
    futures = {}
    for r in runs:
        options = {k: r[k] for k in ("limit", "max_tokens", "patterns") if k in r}
        options["name"] = r["name"]
        out = os.path.join(out_dir, r["name"] + ".jsonl") if out_dir else None
        futures[r["name"]] = client.submit(_run_mmvp, os.fspath(r["model"]), os.fspath(r["data"]), options, out,
                                           pure=False)
    results = dict(zip(futures, client.gather(list(futures.values()))))
    patterns = []
    for res in results.values():
        for p in res["patterns"]:
            if p["pattern"] not in patterns:
                patterns.append(p["pattern"])
    width = max([len("run")] + [len(n) for n in results])
    lines = [f"{'run':<{width}}  " + "  ".join(f"{p:>12}" for p in patterns + ["all"])]
    for name, res in results.items():
        by = {p["pattern"]: p["pair_accuracy"] for p in res["patterns"]}
        cells = [f"{by[p]:>11.1f}%" if p in by else f"{'-':>12}" for p in patterns] + [f"{res['pair_accuracy']:>11.1f}%"]
        lines.append(f"{name:<{width}}  " + "  ".join(cells))
    return results, "\n".join(lines) + "\n"
