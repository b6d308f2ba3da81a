"""Choose the baselines' settings on the validation split (never on test) and record the grid.

    ZOO_DATA_DIR=../shared/datasets python -m applications.recommendation.tune

Writes applications/recommendation/tuned.json: every setting tried with its validation NDCG@10,
and the best per baseline, which `evaluate` then uses. The ALS grid is the region a wider first
sweep (64/128 factors, alpha 1-40, reg 1-100) found best: alpha <= 10 with reg 10-100.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

from applications.recommendation.baselines import ALS, ItemKNN
from zoo.atomic import atomic_write_json
from zoo.datasets import anime
from zoo.recommendation import evaluate

TUNED = Path(__file__).with_name("tuned.json")
GRIDS = {
    "item_knn": (ItemKNN, {"neighbors": [5, 10, 25, 50, 100, 200, 400, 1000, 7390]}),
    "als": (ALS, {"factors": [64, 128, 256], "alpha": [2.0, 5.0, 10.0], "reg": [10.0, 100.0]}),
}


def tuned_settings() -> dict:
    """{baseline: settings} chosen on validation (empty when the grid was never run)."""
    if not TUNED.exists():
        return {}
    return {name: entry["best"] for name, entry in json.loads(TUNED.read_text()).items()}


def main() -> None:
    parts = anime.load_split()
    record = {}
    for name, (cls, grid) in GRIDS.items():
        tried = []
        for values in itertools.product(*grid.values()):
            settings = dict(zip(grid, values, strict=True))
            started = time.time()
            ndcg = evaluate(cls(parts.train, **settings), parts.train, parts.val)["ndcg@10"]
            tried.append({"settings": settings, "val_ndcg@10": ndcg})
            print(f"{name} {settings}: val NDCG@10 {ndcg:.4f} ({time.time() - started:.0f} s)", flush=True)
        best = max(tried, key=lambda t: t["val_ndcg@10"])
        record[name] = {"best": best["settings"], "val_ndcg@10": best["val_ndcg@10"], "tried": tried}
    atomic_write_json(TUNED, record)
    json.dump({name: (r["best"], round(r["val_ndcg@10"], 4)) for name, r in record.items()}, sys.stdout)


if __name__ == "__main__":
    main()
