#!/usr/bin/env python3
"""Images per second embedded by Facet, end to end from JPEG files: one process (facet.Model,
batches of 8, the next batch decoded on every core while the device runs this one) and a Dask
LocalCluster of 2 workers (facet.dask.embed_images) on the same images. The CLIP vision towers
have random weights in the real shapes (scripts/make_clip_vision.py: ViT-B/16 at 224 px,
ViT-L/14 at 336 px); the images are the demo world's pictures scaled to 480 x 360 JPEGs.

    PYTHONPATH=build/python /usr/bin/python3 scripts/bench-embed.py --preset b16 --images 64
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_images(out, n):
    sys.path.insert(0, os.path.join(ROOT, "apps", "demo"))
    from world.generate import item
    paths = []
    for i in range(n):
        _, im = item(11, "bench", i, 64, 96)
        path = os.path.join(out, f"{i:05d}.jpg")
        im.resize((480, 360)).save(path, quality=90)
        paths.append(path)
    return paths


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="b16", choices=["b16", "l14-336"])
    ap.add_argument("--model", help="a CLIP or DINOv2 folder instead of a random tower")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--no-dask", action="store_true")
    a = ap.parse_args()
    import facet
    with tempfile.TemporaryDirectory() as tmp:
        model = a.model
        if not model:
            model = os.path.join(tmp, "model")
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_clip_vision.py"), model,
                            "--preset", a.preset], check=True)
        images = make_images(tmp, a.images)
        m = facet.Model(model)
        m.embed_images(images[:8])  # builds and records the graphs
        t0, c0 = time.perf_counter(), cpu_seconds()
        emb = m.embed_images(images)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        print(f"one process: {len(images)} images in {wall:.2f} s = {len(images) / wall:.2f} images/s, "
              f"CPU {100 * cpu / wall:.0f}% of one core (embeddings {tuple(emb.shape)})")
        del m
        if a.no_dask:
            return
        from distributed import Client, LocalCluster
        import facet.dask
        import numpy as np
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            # Two workers on one machine share its cores: give a slow batch time.
            facet.dask.embed_images(client, {"m": model}, images[:16], partition=8, timeout_ms=900000)  # load, warm
            t0 = time.perf_counter()
            got = facet.dask.embed_images(client, {"m": model}, images, partition=8, timeout_ms=900000)["m"]
            dwall = time.perf_counter() - t0
        same = np.array_equal(got, emb)
        print(f"dask, 2 workers: {len(images)} images in {dwall:.2f} s = {len(images) / dwall:.2f} images/s "
              f"({dwall / wall:.2f}x the one-process time; embeddings identical: {same})")


if __name__ == "__main__":
    main()
