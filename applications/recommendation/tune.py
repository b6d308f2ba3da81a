"""Choose the baselines' settings on the validation split (never on test) and record the grid.

    ZOO_DATA_DIR=/path/to/datasets python -m applications.recommendation.tune [item_knn|als ...]

Writes applications/recommendation/tuned.json: every setting tried with its validation NDCG@10,
and the best per baseline, which `evaluate` then uses. The ALS grid is the region a wider first
sweep (64/128 factors, alpha 1-40, reg 1-100) found best: alpha <= 10 with reg 10-100.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from zoo.core.atomic import atomic_write_json
from zoo.datasets import anime
from zoo.families.recommenders.baselines import ALS, EASE, IALS, ItemKNN
from zoo.families.recommenders.recommendation import evaluate

TUNED = Path(__file__).with_name("tuned.json")
GRIDS = {  # baseline -> (class, the settings tried)
    "item_knn": (ItemKNN, [{"neighbors": n} for n in (1, 2, 3, 5, 10, 25, 50, 100, 200, 400, 1000, 7390)]),
    "als": (
        ALS,
        [
            {"factors": f, "alpha": a, "reg": r}
            for f in (64, 128)
            for a in (2.0, 5.0, 10.0)
            for r in (10.0, 100.0)
        ]
        + [
            {"factors": 256, "alpha": a, "reg": 10.0} for a in (2.0, 5.0)
        ],  # 256 factors: the best region only
    ),
    "ease": (EASE, [{"lam": lam} for lam in (5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)]),
    # implicit's iALS: factors up to 512, with the regularisation and confidence that a first
    # coarse sweep (128 factors) found best for each size
    "ials": (
        IALS,
        [
            {"factors": f, "regularization": r, "alpha": a, "iterations": i}
            for f in (64, 128, 256, 512)
            for r in (1.0, 10.0, 50.0)
            for a in (1.0, 2.0, 5.0)
            for i in (15,)
        ]
        + [{"factors": f, "regularization": 10.0, "alpha": 2.0, "iterations": 50} for f in (128, 256, 512)]
        # the first grid's best was at its edge (512 factors, regularisation 50, alpha 5): widen there
        + [
            {"factors": f, "regularization": r, "alpha": a, "iterations": 15}
            for f in (512, 1024)
            for r in (50.0, 100.0)
            for a in (5.0, 10.0)
            if (f, r, a) != (512, 50.0, 5.0)
        ],
    ),
}


def tuned_settings() -> dict:
    """{baseline: settings} chosen on validation (empty when the grid was never run)."""
    if not TUNED.exists():
        return {}
    return {name: entry["best"] for name, entry in json.loads(TUNED.read_text()).items()}


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(GRIDS))
    if unknown:
        sys.exit(f"unknown baseline {unknown}; tunable: {', '.join(GRIDS)}")
    parts = anime.load_split()
    record = json.loads(TUNED.read_text()) if TUNED.exists() else {}  # the others keep their entries
    for name, (cls, grid) in GRIDS.items():
        if names and name not in names:
            continue
        tried = []
        measured = {
            json.dumps(t["settings"], sort_keys=True): t for t in record.get(name, {}).get("tried", [])
        }
        for settings in grid:
            key = json.dumps(settings, sort_keys=True)
            if key in measured:  # measured in an earlier run of the same grid: not again
                tried.append(measured[key])
                continue
            started = time.time()
            ndcg = evaluate(cls(parts.train, **settings), parts.train, parts.val)["ndcg@10"]
            tried.append({"settings": settings, "val_ndcg@10": ndcg})
            print(f"{name} {settings}: val NDCG@10 {ndcg:.4f} ({time.time() - started:.0f} s)", flush=True)
        best = max(tried, key=lambda t: t["val_ndcg@10"])
        record[name] = {"best": best["settings"], "val_ndcg@10": best["val_ndcg@10"], "tried": tried}
    atomic_write_json(TUNED, record)
    json.dump({name: (r["best"], round(r["val_ndcg@10"], 4)) for name, r in record.items()}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
