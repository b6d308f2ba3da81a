"""Shared fixtures. The whole suite runs once per backend (KERAS_BACKEND set by `make test`)."""

from __future__ import annotations

import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.core import hub

DATA_DIR = os.environ.get("ZOO_DATA_DIR")
# No test reaches beyond this machine: downloads go to local servers only (subprocesses inherit it).
os.environ.setdefault("ZOO_OFFLINE", "1")


def full_data(dataset: str, filename: str) -> bool:
    return bool(DATA_DIR) and (Path(DATA_DIR) / dataset / filename).is_file()


requires_full_mnist = pytest.mark.skipif(
    not full_data("mnist", "mnist.npz"),
    reason="full MNIST (mnist.npz under $ZOO_DATA_DIR/mnist/) not found: the full-test checks need it",
)


def sample_threshold(full_accuracy: float, n: int) -> float:
    """Lowest sample accuracy consistent with the full-test accuracy: 3 binomial std below it."""
    return full_accuracy - 3 * math.sqrt(full_accuracy * (1 - full_accuracy) / n) - 1 / n


def auc_floor(auc: float, positives: int, negatives: int) -> float:
    """3 standard errors below an AUC (Hanley & McNeil 1982), for a smaller sample of cases."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) / (
        positives * negatives
    )
    return auc - 3 * math.sqrt(variance)


@pytest.fixture(scope="session")
def backend_name() -> str:
    import keras

    return keras.backend.backend()


@pytest.fixture(scope="session")
def mnist_sample():
    return zoo.datasets.load_sample("mnist")


@pytest.fixture
def tiny_mnist_dir(tmp_path, mnist_sample) -> Path:
    """A small real MNIST in keras layout (from the bundled test sample), for offline training."""
    x, y = mnist_sample
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    np.savez(folder / "mnist.npz", x_train=x[:400], y_train=y[:400], x_test=x[400:], y_test=y[400:])
    return tmp_path / "data"


@pytest.fixture
def recorded():
    """The manifest metrics of a model measured on this backend's full test split."""

    def get(name: str, backend_name: str) -> dict:
        return hub.entry(name)["metrics"][backend_name]["metrics"]

    return get


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height and holds no pixels: what a decompression bomb looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def npy_header(shape, descr: str = "|u1") -> bytes:
    """The magic and header of an .npy claiming `shape` and `descr`, with no data after it."""
    text = repr({"descr": descr, "fortran_order": False, "shape": shape})
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    return np.lib.format.magic(1, 0) + struct.pack("<H", len(text)) + text.encode()
