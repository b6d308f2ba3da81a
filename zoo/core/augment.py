"""Numpy image augmentations for training batches: (x_batch (N, H, W[, 1]), rng, rows=, epoch=)
-> x_batch, where rows are the batch's indices in the training set and epoch counts from 0 (only
augmentations that follow an example across epochs read them).

Numpy costs the same on every backend (Keras's augmentation layers are 15-20x slower on JAX and
torch CPUs than on TensorFlow) and keeps training-only layers out of exported models.
"""

from __future__ import annotations

import numpy as np


def random_shift(max_shift: int, mode: str = "constant"):
    """Translate each image by up to max_shift pixels in x and y.

    mode is numpy's pad mode for the uncovered border: "constant" (zeros) or "reflect".
    Works on (N, H, W) and (N, H, W, C) batches.
    """

    def augment(x: np.ndarray, rng: np.random.Generator, **_) -> np.ndarray:
        n, height, width = x.shape[:3]
        border = ((0, 0), (max_shift, max_shift), (max_shift, max_shift)) + ((0, 0),) * (x.ndim - 3)
        padded = np.pad(x, border, mode=mode)
        dy = rng.integers(0, 2 * max_shift + 1, size=n)
        dx = rng.integers(0, 2 * max_shift + 1, size=n)
        rows = dy[:, None] + np.arange(height)[None, :]
        cols = dx[:, None] + np.arange(width)[None, :]
        return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]

    return augment


def random_flip():
    """Mirror half of the images left-right."""

    def augment(x: np.ndarray, rng: np.random.Generator, **_) -> np.ndarray:
        return _mirror(x, rng.random(len(x)) < 0.5)

    return augment


def alternating_flip(seed: int = 0):
    """Mirror a fixed random half of the training set on even epochs and the other half on odd
    ones, so that every image is seen both ways in any two epochs (airbench's flipping)."""

    def augment(x: np.ndarray, rng: np.random.Generator, rows=None, epoch: int = 0) -> np.ndarray:
        rows = np.arange(len(x)) if rows is None else np.asarray(rows)
        # numpy draws in sequence, so each row's coin is the same whatever the largest row is
        mirrored = np.random.default_rng(seed).random(int(rows.max()) + 1)[rows] < 0.5
        return _mirror(x, mirrored != bool(epoch % 2))

    return augment


def random_intensity(max_change: float):
    """Scale contrast and shift brightness by up to +-max_change (as a share of the 0-255 range)."""

    def augment(x: np.ndarray, rng: np.random.Generator, **_) -> np.ndarray:
        shape = (len(x),) + (1,) * (x.ndim - 1)
        contrast = rng.uniform(1 - max_change, 1 + max_change, size=shape)
        brightness = rng.uniform(-max_change, max_change, size=shape) * 255
        mean = x.mean(axis=tuple(range(1, x.ndim)), keepdims=True)
        return np.clip((x - mean) * contrast + mean + brightness, 0, 255).astype("float32")

    return augment


def _mirror(x: np.ndarray, flip: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[flip] = x[flip, :, ::-1]
    return x


def compose(*augments):
    def augment(x: np.ndarray, rng: np.random.Generator, **where) -> np.ndarray:
        for step in augments:
            x = step(x, rng, **where)
        return x

    return augment
