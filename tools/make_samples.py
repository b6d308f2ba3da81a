"""Write zoo/samples/<dataset>_test_sample.npz: a seeded choice of real test examples and labels,
and zoo/samples/<dataset>_val_sample.txt: the first characters of a text dataset's validation split,
and zoo/samples/anime_sample.npz: some users' interactions and the item table,
and zoo/samples/prices_sample.npz: the last 1,000 daily bars of SPY and IBM.

Run by maintainers with ZOO_DATA_DIR pointing at the full data:
    ZOO_DATA_DIR=/path/to/datasets python tools/make_samples.py [DATASET ...]
"""

import sys

import numpy as np

from zoo import datasets
from zoo.core.atomic import atomic_path
from zoo.datasets import anime, prices
from zoo.datasets.samples import sample_path, text_sample_path

# Examples per sample; breastmnist and cifar10_catdog: their whole (locally available) test split.
SIZES = {"mnist": 500, "pneumoniamnist": 200, "breastmnist": 156, "cifar10_catdog": 1000}
PER_CLASS = {"cifar10": 30}  # balanced samples: this many of every class
SEED = 2024
chosen = set(sys.argv[1:]) or set(SIZES) | set(PER_CLASS) | {"tinyshakespeare", "anime", "prices"}


def balanced_rows(y: np.ndarray, per_class: int) -> np.ndarray:
    rng = np.random.default_rng(SEED)
    return np.sort(
        np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)])
    )


for dataset in sorted(chosen & (set(SIZES) | set(PER_CLASS))):
    x, y = datasets.load(dataset, split="test")
    if dataset in PER_CLASS:
        rows = balanced_rows(y, PER_CLASS[dataset])
    else:
        rows = np.sort(
            np.random.default_rng(SEED).choice(len(x), size=min(SIZES[dataset], len(x)), replace=False)
        )
    with atomic_path(sample_path(dataset)) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, x=x[rows], y=y[rows], test_index=rows)
    print(f"wrote {sample_path(dataset)}: {len(rows)} test examples, classes {np.bincount(y[rows]).tolist()}")

TEXT_SIZES = {"tinyshakespeare": 4000}
for dataset, n in TEXT_SIZES.items():
    if dataset not in chosen:
        continue
    text, _ = datasets.load(dataset, split="val")
    with atomic_path(text_sample_path(dataset)) as tmp:
        tmp.write_text(text[:n], encoding="utf-8")
    print(f"wrote {text_sample_path(dataset)}: the first {n} validation characters")

ANIME_USERS = 300  # interactions: the standard split's rows of this many seeded users, plus the item table
if "anime" in chosen:
    parts = anime.load_split()
    users = np.sort(np.random.default_rng(SEED).choice(parts.train.shape[0], ANIME_USERS, replace=False))
    arrays = {"shape": np.array(parts.train.shape), "users": users}
    for name in anime.SPLITS:
        rows, items = getattr(parts, name)[users].nonzero()
        arrays[f"{name}_users"], arrays[f"{name}_items"] = users[rows], items
    items = anime.load_items()
    arrays["item_names"] = np.array(items.names)
    arrays["item_genres"] = np.array([", ".join(g) for g in items.genres])
    arrays["item_kinds"] = np.array(items.kinds)
    with atomic_path(anime.SAMPLE) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    print(f"wrote {anime.SAMPLE}: {ANIME_USERS} users' split interactions and {len(items.names)} items")

PRICE_DAYS = 1000  # the held-out period's last four years: enough for a year of history and 700+ forecasts
if "prices" in chosen:
    arrays = {}
    for ticker in prices.SAMPLE_TICKERS:
        bars = prices.load(ticker)
        arrays[f"{ticker}_dates"] = bars.dates[-PRICE_DAYS:]
        arrays[f"{ticker}_ohlc"] = np.stack([bars.open, bars.high, bars.low, bars.close], axis=1)[
            -PRICE_DAYS:
        ]
    with atomic_path(prices.SAMPLE) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    print(f"wrote {prices.SAMPLE}: the last {PRICE_DAYS} bars of {', '.join(prices.SAMPLE_TICKERS)}")
