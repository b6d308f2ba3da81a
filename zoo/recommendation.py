"""What the recommenders (two_tower, neumf) share: full-ranking evaluation on the anime split and
one training loop (resumable, checkpointed each epoch, validation NDCG@10 as the learning curve).

A recommender is a keras.Model with two more methods:
    prepare(train, items)   fill its fixed tables from the training matrix and item metadata;
    score(history, users)   (len(users), items) scores from the users' known items (CSR rows) and ids.
Its model file names a PyDataset of training batches as spec.extra["batches"](train, batch_size, seed).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np
from scipy import sparse

from zoo import backend, hub, ranking, registry
from zoo.atomic import atomic_write_json
from zoo.datasets import anime
from zoo.training import checkpoint_state, fit_resumable, recipe_with

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


def evaluate(model, train: sparse.csr_matrix, truth: sparse.csr_matrix, k: int = K) -> dict:
    """Recall/NDCG/HR@k, coverage and popularity over every user with held-out items in `truth`."""
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    top = np.zeros((train.shape[0], k), "int64")
    top[users] = top_items(model, train, users, k)
    return ranking.ranking_metrics(top, truth, np.asarray(train.sum(axis=0)).ravel())


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


def fit(
    model, train: sparse.csr_matrix, recipe: registry.AdamRecipe, batches, epochs: int, seed: int = 0
) -> None:
    """Continue training `model` (compiled or not, optimizer state kept) on `train` for `epochs`,
    without checkpoints: the flywheel's warm-start retraining and the cold-start experiment."""
    if not model.compiled:
        model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=model.training_loss())
    model.fit(batches(train, recipe.batch_size, seed), epochs=epochs, verbose=0)


def train(
    name: str,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    out_dir=None,
    resume: bool = False,
    seed: int | None = None,
    limit: int | None = None,
    verbose: int | str = "auto",
    command: str | None = None,
    callbacks=None,
    data_dir=None,
    steps=None,
    holdout: int = 0,
) -> dict:
    """Train a recommender on the anime training split with its recipe; val NDCG@10 every epoch."""
    if steps is not None or holdout:
        raise ValueError(f"{name} trains by epochs over the anime split; --steps and --holdout do not apply.")
    spec = registry.get(name)
    recipe = recipe_with(spec.recipe, epochs, batch_size, seed)
    out_dir = Path(out_dir or Path("runs") / name)
    state = checkpoint_state(out_dir, resume)

    backend.seed_everything(recipe.seed)
    parts = anime.load_split(data_dir)
    train_matrix, val = parts.train, parts.val
    if limit is not None:  # quick runs: the first `limit` users only
        keep = sparse.diags((np.arange(train_matrix.shape[0]) < limit).astype("float32"))
        train_matrix, val = (keep @ train_matrix).tocsr(), (keep @ val).tocsr()
    model = spec.build(spec.config)
    model.prepare(train_matrix, anime.load_items(data_dir))
    batches = spec.extra["batches"](train_matrix, recipe.batch_size, recipe.seed)
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=model.training_loss())
    started = time.time()
    history = fit_resumable(
        model,
        batches,
        epochs=recipe.epochs,
        out_dir=out_dir,
        state=state,
        epoch_metrics=[ValidationRanking(train_matrix, val)],
        callbacks=callbacks,
        verbose=verbose,
    )
    weights_path = out_dir / f"{name}.weights.h5"
    hub.save_weights(model, weights_path)
    result = {
        "model": name,
        "backend": backend.current(),
        "recipe": dataclasses.asdict(recipe),
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "train_examples": int(train_matrix.nnz),
        "seed": recipe.seed,
        "wall_time_s": round(sum(history.get("epoch_seconds", [])) or time.time() - started, 1),
        "history": history,
        "command": command,
        "weights": str(weights_path),
        "sha256": hub.sha256(weights_path),
    }
    if limit is None:
        label, n, metrics = score_split(model, "test", data_dir=data_dir)
        result["test"] = {"model": name, "backend": backend.current(), "dataset": "anime", "split": label,
                          "n": n, "metrics": metrics}  # fmt: skip
    atomic_write_json(out_dir / f"{name}.metrics.json", result)
    return result
