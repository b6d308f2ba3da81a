"""What the recommenders (two_tower, neumf) share: full-ranking evaluation on the anime split and
one training loop (resumable, checkpointed each epoch, validation NDCG@10 as the learning curve).

A recommender is a keras.Model with two more methods:
    prepare(train, items)   fill its fixed tables from the training matrix and item metadata;
    score(history, users)   (len(users), items) scores from the users' known items (CSR rows) and ids.
Its model module names its training batches (a PyDataset) as BATCHES(train, batch_size, seed).
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from scipy import sparse

from zoo.core import backend, registry
from zoo.core.training import Run
from zoo.datasets import anime
from zoo.families.recommenders import ranking

K = 10


def top_items(
    model, history: sparse.csr_matrix, users: np.ndarray, k: int = K, chunk: int = 512
) -> np.ndarray:
    """(len(users), k) best-scored items per user, never one already in the user's history."""
    lists = []
    for start in range(0, len(users), chunk):
        some = users[start : start + chunk]
        lists.append(ranking.top_k(model.score(history[some], some), history[some], k))
    return np.concatenate(lists) if lists else np.zeros((0, k), "int64")


def evaluate(model, train: sparse.csr_matrix, truth: sparse.csr_matrix, k: int = K, per_user: bool = False):
    """Recall/NDCG/HR@k, coverage and popularity over every user with held-out items in `truth`;
    with `per_user`, also each of those users' NDCG@k (under "per_user_ndcg", for paired tests)."""
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    top = np.zeros((train.shape[0], k), "int64")
    top[users] = top_items(model, train, users, k)
    return ranking.ranking_metrics(top, truth, np.asarray(train.sum(axis=0)).ravel(), per_user)


def score_split(
    model, split_name: str = "test", data_dir=None, sample: bool = False
) -> tuple[str, int, dict]:
    """(split label, users measured, metrics) of a recommender on the standard anime split: trained on
    train (+ val when measuring test, as the baselines are), ranked against the held-out part."""
    parts = anime.load_sample() if sample else anime.load_split(data_dir)
    known = parts.train if split_name == "val" else parts.train + parts.val
    metrics = evaluate(model, known, getattr(parts, split_name))
    label = f"{split_name}-sample" if sample else split_name
    return label, metrics.pop("n_users"), metrics


class ValidationRanking(keras.callbacks.Callback):
    """NDCG@10 and recall@10 on the validation split after each epoch: the learning curve."""

    def __init__(self, train: sparse.csr_matrix, val: sparse.csr_matrix):
        super().__init__()
        self.train, self.val = train, val

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            measured = evaluate(self.model, self.train, self.val)
            logs["val_ndcg@10"], logs["val_recall@10"] = measured["ndcg@10"], measured["recall@10"]


def train_fresh(name: str, train: sparse.csr_matrix, items, epochs: int, seed: int = 0):
    """A new recommender NAME prepared on `train` and `items` and trained on `train` for `epochs`,
    without checkpoints (the cold-start experiment, the flywheel's first round).

    Example:
        >>> tower = train_fresh("two_tower", parts.train, anime.load_items(), epochs=4)
    """
    model = registry.get(name).build()
    warm_start(name, model, train, items, epochs, seed)
    return model


def warm_start(name: str, model, train: sparse.csr_matrix, items, epochs: int, seed: int = 0) -> None:
    """Refresh `model`'s fixed tables from `train` and `items`, then train it `epochs` more epochs
    (compiled or not; optimizer state kept): the flywheel's retraining after new feedback."""
    model.prepare(train, items)
    spec = registry.get(name)
    fit(model, train, spec.recipe, spec.family().BATCHES, epochs, seed)


def fit(model, train: sparse.csr_matrix, recipe, batches, epochs: int, seed: int = 0) -> None:
    """Train `model` for `epochs` on `train` with `recipe`'s Adam and `batches` (a BATCHES class),
    without checkpoints (compiled or not; optimizer state kept)."""
    if epochs < 1:
        raise ValueError(f"epochs must be a positive whole number, got {epochs}.")
    if not model.compiled:
        model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=model.training_loss())
    model.fit(batches(train, recipe.batch_size, seed), epochs=epochs, verbose=0)


def train(spec, options) -> dict:
    """Train a recommender on the anime training split with its recipe inside a Run; val NDCG@10
    every epoch; test measured at the end (not with `options.limit`, which keeps the first users)."""
    options.refuse("steps", "holdout", because=f"{spec.name} trains by epochs over the anime split")
    recipe = options.recipe(spec.recipe)
    with Run(spec.name, options) as run:
        backend.seed_everything(recipe.seed)
        parts = anime.load_split(options.data_dir)
        train_matrix, val = parts.train, parts.val
        if options.limit is not None:  # quick runs: the first `limit` users only
            keep = sparse.diags((np.arange(train_matrix.shape[0]) < options.limit).astype("float32"))
            train_matrix, val = (keep @ train_matrix).tocsr(), (keep @ val).tocsr()
        model = spec.build()
        model.prepare(train_matrix, anime.load_items(options.data_dir))
        batches = spec.family().BATCHES(train_matrix, recipe.batch_size, recipe.seed)
        model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=model.training_loss())
        history = run.fit(
            model, batches, epochs=recipe.epochs, epoch_metrics=[ValidationRanking(train_matrix, val)]
        )
        result = {
            "recipe": dataclasses.asdict(recipe),
            "epochs": recipe.epochs,
            "batch_size": recipe.batch_size,
            "train_examples": int(train_matrix.nnz),
            "seed": recipe.seed,
            "wall_time_s": run.wall_time(history),
            "history": history,
        }
        if options.limit is None:
            label, n, metrics = score_split(model, "test", data_dir=options.data_dir)
            result["test"] = spec.tasks().record(label, n, metrics)
        return run.finish(model, result)
