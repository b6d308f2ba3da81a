"""MNIST: 60,000 train and 10,000 test digits, 28x28 uint8, white on black.

Read from `mnist.npz` in the keras layout (x_train, y_train, x_test, y_test).
"""

from __future__ import annotations

import numpy as np

from zoo.datasets._lookup import local_file, missing, read_npz

NAME = "mnist"
FILENAME = "mnist.npz"
SPLITS = ("train", "test")


def load(split: str = "test", data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of one split."""
    path = local_file(NAME, FILENAME, data_dir)
    if path is None:
        try:
            import keras

            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as exc:  # no network, proxy, corrupt cache: all mean "not here"
            raise missing(NAME, FILENAME, f"{type(exc).__name__}: {exc}") from None
        arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    else:
        arrays = read_npz(path, NAME, {f"x_{split}": (28, 28), f"y_{split}": ()})
    return arrays[f"x_{split}"], arrays[f"y_{split}"]
