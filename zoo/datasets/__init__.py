"""Datasets: one loader per dataset, returning numpy arrays (text datasets: the text, None;
interaction datasets: a sparse user x item matrix, None).

Lookup order: `data_dir=` (the only place looked when given), else `$ZOO_DATA_DIR/<name>/` -> the user
cache -> a verified download into it (`zoo data download`) -> a clear error.
"""

from __future__ import annotations

from zoo.datasets import anime, cifar10, diabetes, mnist, tinyshakespeare
from zoo.datasets._lookup import DatasetNotFound
from zoo.datasets.medmnist import breastmnist, pneumoniamnist
from zoo.datasets.samples import load_sample

_LOADERS = {
    m.NAME: m
    for m in (mnist, cifar10, cifar10.catdog, diabetes, pneumoniamnist, breastmnist, tinyshakespeare, anime)
}

__all__ = ["DatasetNotFound", "available", "load", "load_sample", "split_label", "splits"]


def available() -> list[str]:
    """Names of the datasets zoo can load."""
    return sorted(_LOADERS)


def splits(name: str) -> tuple[str, ...]:
    """The splits a dataset has, e.g. ("train", "val", "test")."""
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(available())}.")
    return _LOADERS[name].SPLITS


def split_label(name: str, split: str, n: int) -> str:
    """The split's name, as "test[:1000]" where only the first n of a larger official split exist."""
    full = getattr(_LOADERS[name], "FULL_SIZES", {}).get(split)
    return f"{split}[:{n}]" if full is not None and n < full else split


def load(name: str, split: str = "test", data_dir=None, limit: int | None = None):
    """(x, y) numpy arrays of a dataset split; `limit` keeps the first `limit` examples."""
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(available())}.")
    loader = _LOADERS[name]
    if split not in loader.SPLITS:
        raise ValueError(f"dataset {name!r} has no split {split!r}; splits: {', '.join(loader.SPLITS)}.")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of examples, got {limit}.")
    x, y = loader.load(split, data_dir=data_dir)
    if limit is not None and y is None:  # text: the first `limit` characters
        return x[:limit], y
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y
