"""The anime interactions as sparse user x item matrices, and the per-user train/val/test split.

Files (../shared/datasets/anime/, see its SOURCE.md): interactions.csv (user_id,item_id: on the
completed list), items.csv (item_id,name,genre,type,...). Ids are 1-based there, 0-based here.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from zoo.datasets._lookup import local_file, missing

NAME = "anime"


@dataclass(frozen=True)
class Items:
    names: list[str]
    genres: list[tuple[str, ...]]
    kinds: list[str]  # TV, OVA, Movie, ...


@dataclass(frozen=True)
class Split:
    """Binary user x item CSR matrices that partition every user's interactions."""

    train: sparse.csr_matrix
    val: sparse.csr_matrix
    test: sparse.csr_matrix


def _path(filename: str, data_dir) -> Path:
    path = local_file(NAME, filename, data_dir)
    if path is None:
        raise missing(NAME, filename, "no online source is wired for this sample")
    return path


def load_interactions(data_dir=None) -> sparse.csr_matrix:
    """All (user, item) completed-list pairs as a binary CSR matrix (users x items)."""
    pairs = np.loadtxt(_path("interactions.csv", data_dir), delimiter=",", skiprows=1, dtype=np.int64)
    users, items = pairs[:, 0] - 1, pairs[:, 1] - 1
    shape = (users.max() + 1, items.max() + 1)
    return sparse.csr_matrix((np.ones(len(users), "float32"), (users, items)), shape=shape)


def load_items(data_dir=None) -> Items:
    with open(_path("items.csv", data_dir), newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda row: int(row["item_id"]))
    return Items(
        names=[html.unescape(row["name"]) for row in rows],
        genres=[tuple(g.strip() for g in row["genre"].split(",") if g.strip()) for row in rows],
        kinds=[row["type"] or "unknown" for row in rows],
    )


def split(matrix: sparse.csr_matrix, test_share: float = 0.2, val_share: float = 0.1, seed: int = 0) -> Split:
    """Per user: a random `test_share` of the items (rounded down) for test, `val_share` of the rest
    for validation, the remainder for training. Seeded; users with few items keep them in train."""
    rng = np.random.default_rng(seed)
    parts = {"train": ([], []), "val": ([], []), "test": ([], [])}
    for user in range(matrix.shape[0]):
        items = rng.permutation(matrix.indices[matrix.indptr[user] : matrix.indptr[user + 1]])
        n_test = int(len(items) * test_share)
        n_val = int((len(items) - n_test) * val_share)
        for name, chunk in (
            ("test", items[:n_test]),
            ("val", items[n_test : n_test + n_val]),
            ("train", items[n_test + n_val :]),
        ):
            parts[name][0].append(np.full(len(chunk), user))
            parts[name][1].append(chunk)

    def matrix_of(users, items):
        users, items = np.concatenate(users), np.concatenate(items)
        return sparse.csr_matrix((np.ones(len(users), "float32"), (users, items)), shape=matrix.shape)

    return Split(**{name: matrix_of(*lists) for name, lists in parts.items()})
