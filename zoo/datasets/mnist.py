"""MNIST: 60,000 train and 10,000 test digits, 28x28 uint8, white on black.

Read from `mnist.npz` in the keras layout (x_train, y_train, x_test, y_test); online, Keras's copy of
it is downloaded into the cache (`zoo data download mnist`).
"""

from __future__ import annotations

import numpy as np

from zoo.datasets._lookup import local_file, online, read_npz

NAME = "mnist"
FILENAME = "mnist.npz"
SPLITS = ("train", "test")


def load(split: str = "test", data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of one split."""
    path = local_file(NAME, FILENAME, data_dir) or online(NAME, FILENAME)
    arrays = read_npz(path, NAME, {f"x_{split}": (28, 28), f"y_{split}": ()})
    return arrays[f"x_{split}"], arrays[f"y_{split}"]
