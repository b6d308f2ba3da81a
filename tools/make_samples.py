"""Write zoo/samples/<dataset>_test_sample.npz: a seeded choice of real test examples and labels,
and zoo/samples/<dataset>_val_sample.txt: the first characters of a text dataset's validation split.

Run by maintainers with ZOO_DATA_DIR pointing at the full data:
    ZOO_DATA_DIR=../shared/datasets python tools/make_samples.py
"""

import numpy as np

from zoo import datasets
from zoo.atomic import atomic_path
from zoo.datasets.samples import sample_path, text_sample_path

SIZES = {"mnist": 500, "pneumoniamnist": 200, "breastmnist": 156}  # breastmnist: its whole test split
SEED = 2024

for dataset, n in SIZES.items():
    x, y = datasets.load(dataset, split="test")
    rows = np.sort(np.random.default_rng(SEED).choice(len(x), size=min(n, len(x)), replace=False))
    with atomic_path(sample_path(dataset)) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, x=x[rows], y=y[rows], test_index=rows)
    print(f"wrote {sample_path(dataset)}: {len(rows)} test examples, classes {np.bincount(y[rows]).tolist()}")

TEXT_SIZES = {"tinyshakespeare": 4000}
for dataset, n in TEXT_SIZES.items():
    text, _ = datasets.load(dataset, split="val")
    with atomic_path(text_sample_path(dataset)) as tmp:
        tmp.write_text(text[:n], encoding="utf-8")
    print(f"wrote {text_sample_path(dataset)}: the first {n} validation characters")
