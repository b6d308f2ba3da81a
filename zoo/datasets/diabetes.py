"""scikit-learn's diabetes regression set: 442 patients, 10 features, disease progression.

It ships inside scikit-learn, so it is always available offline. The split is fixed:
a seeded 80/20 shuffle (354 train / 88 test).
"""

from __future__ import annotations

import numpy as np

NAME = "diabetes"
SPLITS = ("train", "test")
_SEED = 0
_TEST_FRACTION = 0.2


def load(split: str = "test", data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """(features float32 (N, 10), target float32 (N,)) of one split; data_dir is ignored."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(_SEED).permutation(len(x))
    n_test = int(round(len(x) * _TEST_FRACTION))
    rows = order[n_test:] if split == "train" else order[:n_test]
    return x[rows].astype("float32"), y[rows].astype("float32")
