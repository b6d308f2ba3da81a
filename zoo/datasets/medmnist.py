"""MedMNIST v2 2D sets at 28x28 (official npz files and splits): PneumoniaMNIST and BreastMNIST.

Each `<name>.npz` holds {train,val,test}_images (N, 28, 28) uint8 and _labels (N, 1) uint8.
Online: the official file from its public copy, verified (`zoo data download`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.datasets._lookup import local_file, online, read_npz


class MedMNIST:
    """A loader for one MedMNIST dataset, with the interface of the other dataset modules."""

    SPLITS = ("train", "val", "test")

    def __init__(self, name: str, labels: tuple[str, ...]):
        self.NAME = name
        self.FILENAME = f"{name}.npz"
        self.LABELS = labels

    def load(self, split: str = "test", data_dir=None) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 (N, 28, 28), labels uint8 (N,)) of one official split."""
        path = local_file(self.NAME, self.FILENAME, data_dir) or online(self.NAME, self.FILENAME)
        data = read_npz(Path(path), self.NAME, {f"{split}_images": (28, 28), f"{split}_labels": None})
        return data[f"{split}_images"], data[f"{split}_labels"].reshape(-1)


pneumoniamnist = MedMNIST("pneumoniamnist", labels=("normal", "pneumonia"))
breastmnist = MedMNIST("breastmnist", labels=("malignant", "normal or benign"))
