"""CIFAR-10: 32x32 RGB photos of 10 classes; 50,000 training and 10,000 test images.

Splits: "train" is the first 45,000 official training images, "val" the last 5,000 (held out
for every tuning decision), "test" the official test split. Locally the folder holds
train_0..4.npz (the five official training batches, in order) and either test.npz (the full
test split) or test_first1000.npz (its first 1,000 images only, which is all that exists offline
here): the loader returns what is there and `zoo eval` reports the count it measured.
Online, the official archive is downloaded and converted into the cache (`zoo data download cifar10`).
"""

from __future__ import annotations

import numpy as np

from zoo.datasets._lookup import local_file, online, read_npz

NAME = "cifar10"
FILENAME = "train_0.npz"
SPLITS = ("train", "val", "test")
LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FULL_SIZES = {"test": 10_000}  # offline only the first 1,000 test images exist: "test[:1000]"
VAL_SIZE = 5_000  # of the 50,000; smaller copies of the data (tests) hold out a tenth


def _local(split: str, data_dir) -> tuple[np.ndarray, np.ndarray] | None:
    """The local files of one split only: test never reads the five training batches."""
    first = local_file(NAME, FILENAME, data_dir)
    if first is None:
        return None
    folder = first.parent
    if split == "test":
        test_file = folder / "test.npz" if (folder / "test.npz").is_file() else folder / "test_first1000.npz"
        test = read_npz(test_file, NAME, {"x_test": (32, 32, 3), "y_test": None})
        return test["x_test"], test["y_test"]
    images, labels = [], []
    for i in range(5):
        batch = read_npz(folder / f"train_{i}.npz", NAME, {"x_train": (32, 32, 3), "y_train": None})
        images.append(batch["x_train"])
        labels.append(batch["y_train"])
    return np.concatenate(images), np.concatenate(labels)


def load(split: str = "test", data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 32, 32, 3), labels uint8 (N,)) of one split."""
    local = _local(split, data_dir)
    if local is None:
        online(NAME, FILENAME)  # the archive's download writes every file into the cache
        local = _local(split, data_dir)
    x, y = local
    y = y.reshape(-1)
    if split == "test":
        return x, y
    cut = len(x) - min(VAL_SIZE, len(x) // 10)  # train and val split the official training images
    return (x[:cut], y[:cut]) if split == "train" else (x[cut:], y[cut:])


class CatDog:
    """The cat and dog images of CIFAR-10's splits, relabelled cat = 0, dog = 1."""

    NAME = "cifar10_catdog"
    SPLITS = SPLITS
    LABELS = ("cat", "dog")
    FULL_SIZES = {"test": 2_000}  # 1,000 cats and 1,000 dogs in the official test split
    CLASSES = (3, 5)  # cat, dog in CIFAR-10's label order

    def load(self, split: str = "test", data_dir=None) -> tuple[np.ndarray, np.ndarray]:
        x, y = load(split, data_dir=data_dir)
        keep = np.isin(y, self.CLASSES)
        return x[keep], (y[keep] == self.CLASSES[1]).astype("uint8")


catdog = CatDog()
