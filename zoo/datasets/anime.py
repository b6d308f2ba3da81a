"""MyAnimeList completed lists (5,000 users, 7,390 items): sparse user x item matrices, item
metadata and the seeded per-user train/val/test split every recommender is measured on.

Files ($ZOO_DATA_DIR/anime/, `zoo data list` names its source): interactions.csv (user_id,item_id: on the
completed list), items.csv (item_id,name,genre,type,...). Ids are 1-based there, 0-based here.
Interaction data gives (user x item matrix, None) through `zoo.datasets.load`.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from zoo.datasets._lookup import local_file, online
from zoo.datasets.samples import SAMPLES_DIR

NAME = "anime"
SPLITS = ("train", "val", "test")
SAMPLE = SAMPLES_DIR / "anime_sample.npz"
# The fixed feature vocabulary of an item: its genres (multi-hot) and its type (one-hot).
GENRES = (
    "Action", "Adventure", "Cars", "Comedy", "Dementia", "Demons", "Drama", "Ecchi", "Fantasy", "Game",
    "Harem", "Hentai", "Historical", "Horror", "Josei", "Kids", "Magic", "Martial Arts", "Mecha",
    "Military", "Music", "Mystery", "Parody", "Police", "Psychological", "Romance", "Samurai", "School",
    "Sci-Fi", "Seinen", "Shoujo", "Shoujo Ai", "Shounen", "Shounen Ai", "Slice of Life", "Space",
    "Sports", "Super Power", "Supernatural", "Thriller", "Vampire", "Yaoi", "Yuri",
)  # fmt: skip
KINDS = ("Movie", "Music", "ONA", "OVA", "Special", "TV")


@dataclass(frozen=True)
class Items:
    names: list[str]
    genres: list[tuple[str, ...]]
    kinds: list[str]  # TV, OVA, Movie, ...

    def features(self) -> np.ndarray:
        """(items, len(GENRES) + len(KINDS)) float32: genre multi-hot, then type one-hot."""
        return np.stack([item_features(g, k) for g, k in zip(self.genres, self.kinds, strict=True)])


@dataclass(frozen=True)
class Split:
    """Binary user x item CSR matrices that partition every user's interactions."""

    train: sparse.csr_matrix
    val: sparse.csr_matrix
    test: sparse.csr_matrix


def item_features(genres, kind: str) -> np.ndarray:
    """The feature vector of one item (also of a new one, known only by its genres and type)."""
    unknown = [g for g in genres if g not in GENRES] + ([kind] if kind and kind not in KINDS else [])
    if unknown:
        raise ValueError(
            f"unknown genre or type {unknown}; genres: {', '.join(GENRES)}; types: {', '.join(KINDS)}."
        )
    vector = np.zeros(len(GENRES) + len(KINDS), "float32")
    vector[[GENRES.index(g) for g in genres]] = 1.0
    if kind:
        vector[len(GENRES) + KINDS.index(kind)] = 1.0
    return vector


def _path(filename: str, data_dir) -> Path:
    return local_file(NAME, filename, data_dir) or online(NAME, filename)


def load_interactions(data_dir=None) -> sparse.csr_matrix:
    """All (user, item) completed-list pairs as a binary CSR matrix (users x items)."""
    pairs = np.loadtxt(_path("interactions.csv", data_dir), delimiter=",", skiprows=1, dtype=np.int64)
    return _matrix(pairs[:, 0] - 1, pairs[:, 1] - 1, (pairs[:, 0].max(), pairs[:, 1].max()))


def load_items(data_dir=None) -> Items:
    """Names, genres and types of every item; the shipped copy when the dataset is not found."""
    if data_dir is None and local_file(NAME, "items.csv", None) is None:
        with np.load(SAMPLE) as sample:
            rows = [
                {"name": n, "genre": g, "type": t}
                for n, g, t in zip(*(sample[k] for k in ITEM_KEYS), strict=True)
            ]
    else:
        with open(_path("items.csv", data_dir), newline="", encoding="utf-8") as f:
            rows = sorted(csv.DictReader(f), key=lambda row: int(row["item_id"]))
    return Items(
        names=[html.unescape(str(row["name"])) for row in rows],
        genres=[tuple(g.strip() for g in str(row["genre"]).split(",") if g.strip()) for row in rows],
        kinds=[str(row["type"]) for row in rows],
    )


ITEM_KEYS = ("item_names", "item_genres", "item_kinds")


def _matrix(users, items, shape) -> sparse.csr_matrix:
    return sparse.csr_matrix((np.ones(len(users), "float32"), (users, items)), shape=shape)


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
    return Split(
        **{
            name: _matrix(np.concatenate(u), np.concatenate(i), matrix.shape)
            for name, (u, i) in parts.items()
        }
    )


def load_split(data_dir=None) -> Split:
    """The standard split (seed 0) of the full interactions."""
    return split(load_interactions(data_dir))


def load(split_name: str = "test", data_dir=None) -> tuple[sparse.csr_matrix, None]:
    """One part of the standard split as a user x item matrix."""
    return getattr(load_split(data_dir), split_name), None


def load_sample() -> Split:
    """The standard split of the bundled users (every other user's row is empty): offline tests."""
    with np.load(SAMPLE) as sample:
        shape = tuple(sample["shape"])
        return Split(
            **{name: _matrix(sample[f"{name}_users"], sample[f"{name}_items"], shape) for name in SPLITS}
        )
