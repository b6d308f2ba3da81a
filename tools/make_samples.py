"""Write zoo/samples/mnist_test_sample.npz: 500 real MNIST test digits (seeded choice) and labels.

Run once by maintainers with ZOO_DATA_DIR pointing at the full data:
    ZOO_DATA_DIR=../shared/datasets python tools/make_samples.py
"""

import numpy as np

from zoo import datasets
from zoo.atomic import atomic_path
from zoo.datasets.samples import sample_path

N = 500
SEED = 2024

x, y = datasets.load("mnist", split="test")
rows = np.sort(np.random.default_rng(SEED).choice(len(x), size=N, replace=False))
with atomic_path(sample_path("mnist")) as tmp:
    with open(tmp, "wb") as f:
        np.savez_compressed(f, x=x[rows], y=y[rows], test_index=rows)
print(f"wrote {sample_path('mnist')}: {N} test digits, classes {np.bincount(y[rows]).tolist()}")
