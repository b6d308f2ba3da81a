"""Sheets of small grayscale images (generated digits) as one PNG."""

from __future__ import annotations

import numpy as np

from zoo.core.atomic import atomic_path


def grid(images: np.ndarray, columns: int, pad: int = 2, scale: int = 2) -> np.ndarray:
    """uint8 (N, H, W) -> one uint8 image, row-major, `pad` black pixels between tiles, upscaled."""
    images = np.asarray(images)
    n, height, width = images.shape
    rows = -(-n // columns)
    sheet = np.zeros((rows * (height + pad) + pad, columns * (width + pad) + pad), dtype="uint8")
    for i, image in enumerate(images):
        top, left = divmod(i, columns)
        y, x = pad + top * (height + pad), pad + left * (width + pad)
        sheet[y : y + height, x : x + width] = image
    return np.kron(sheet, np.ones((scale, scale), dtype="uint8"))


def save_png(image: np.ndarray, path) -> None:
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")


def interpolate(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """`steps` points on the straight line from start to end (both included), (steps, dim)."""
    weights = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    return (1.0 - weights) * start[None] + weights * end[None]
