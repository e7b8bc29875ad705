"""facet.dask on a LocalCluster of 2 workers: pair mining equals the single-process
`facet mine-pairs` on the same few hundred generated images; an MMVP sweep of two runs."""
import json
import subprocess
import sys

import pytest

from distributed import Client, LocalCluster  # noqa: E402

import facet.dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def world_images(tmp_path_factory, demo):
    out = tmp_path_factory.mktemp("world")
    sys.path.insert(0, str(demo))
    from world.generate import write_split
    write_split(str(out), 3, "scale", 300, 64, 96)
    return sorted(str(p) for p in (out / "scale" / "images").iterdir())


def test_mine_pairs_on_two_workers_equals_the_cli(client, world_images, demo, facet_cli, tmp_path):
    models = demo / "models"
    pairs = facet.dask.mine_pairs(client, str(models / "demo-clip"), str(models / "demo-dino"), world_images,
                                  clip_threshold=0.9, dino_threshold=0.5, partition=32, blocks_per_task=1)
    out = tmp_path / "pairs.csv"
    subprocess.run([facet_cli, "-q", "mine-pairs", "--clip", str(models / "demo-clip"), "--dino", str(models / "demo-dino"),
                    "--images", str(world_images[0].rsplit("/", 1)[0]), "--out", str(out),
                    "--clip-threshold", "0.9", "--dino-threshold", "0.5"], check=True)
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    assert len(pairs) == len(rows) > 100
    for (a, b, c, d), row in zip(pairs, rows):
        assert (a, b) == (row[0], row[1])
        assert f"{c:.6f}" == row[2] and f"{d:.6f}" == row[3]
    # Both workers took part in the embedding.
    assert len(client.scheduler_info()["workers"]) == 2


def test_mmvp_sweep_writes_one_jsonl_per_run(client, demo, tmp_path):
    data = str(demo / "bench" / "mmvp")
    runs = [{"name": "llava", "model": str(demo / "models" / "demo-llava"), "data": data, "limit": 4},
            {"name": "mof", "model": str(demo / "models" / "demo-mof" / "pipeline.toml"), "data": data, "limit": 4}]
    results, table = facet.dask.mmvp_sweep(client, runs, out_dir=str(tmp_path))
    assert set(results) == {"llava", "mof"}
    for name in results:
        lines = [json.loads(x) for x in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
        assert len(lines) == 4 and all(x["model"] == name for x in lines)
        assert results[name]["pairs"] == 2
    assert table.splitlines()[0].startswith("run") and "llava" in table and "mof" in table
