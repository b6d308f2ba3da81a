"""The small real samples shipped in zoo/samples/ for offline demos and tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


def sample_path(dataset: str) -> Path:
    return SAMPLES_DIR / f"{dataset}_test_sample.npz"


def text_sample_path(dataset: str) -> Path:
    return SAMPLES_DIR / f"{dataset}_val_sample.txt"


def load_sample(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the bundled sample of a dataset's test split; (text, None) for text datasets,
    whose sample is the start of the validation split."""
    if text_sample_path(dataset).is_file():
        return text_sample_path(dataset).read_text(encoding="utf-8"), None
    path = sample_path(dataset)
    if not path.is_file():
        shipped = sorted(p.name for p in SAMPLES_DIR.glob("*_sample.*"))
        raise FileNotFoundError(f"no bundled sample for {dataset!r}; shipped: {', '.join(shipped)}.")
    with np.load(path) as data:
        return data["x"], data["y"]
