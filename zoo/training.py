"""The shared fit recipe: seeded data pipeline, per-epoch atomic checkpoints, resume, progress.

`train("mnist_mlp")` runs the recipe in the model's spec; `zoo train NAME` calls it.
A run directory holds:
  checkpoint/state.json                 the last finished epoch (written last: the commit point)
  checkpoint/epoch-K.weights.h5         model and optimizer state after epoch K (step count included)
  <name>.weights.h5, <name>.metrics.json   the final weights and what they measured
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import keras
import numpy as np

from zoo import backend, datasets, evaluation, hub, registry
from zoo.atomic import atomic_write_json


class ArrayDataset(keras.utils.PyDataset):
    """Shuffled minibatches of numpy arrays with optional numpy augmentation.

    Shuffling and augmentation depend only on (seed, epoch, batch index), so a resumed run
    sees exactly the batches the uninterrupted run would have seen.
    """

    def __init__(self, x, y, batch_size, seed=0, augment=None, shuffle=True, passes=1, class_weights=None):
        super().__init__()
        self.x, self.y = x, y
        self.class_weights = class_weights  # array indexed by label, or None
        self.batch_size = min(batch_size, len(x))
        self.seed, self.augment, self.shuffle, self.passes = seed, augment, shuffle, passes
        self.epoch = 0
        self._batches_per_pass = math.ceil(len(x) / self.batch_size)

    def __len__(self) -> int:
        return self._batches_per_pass * self.passes

    def _order(self, pass_index: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.x))
        return np.random.default_rng([self.seed, self.epoch, pass_index]).permutation(len(self.x))

    def __getitem__(self, index: int):
        pass_index, batch = divmod(index, self._batches_per_pass)
        rows = self._order(pass_index)[batch * self.batch_size : (batch + 1) * self.batch_size]
        x = self.x[rows]
        if self.augment is not None:
            x = self.augment(x, np.random.default_rng([self.seed, self.epoch, index, 1]))
        if self.class_weights is not None:
            return x.astype("float32"), self.y[rows], self.class_weights[self.y[rows]]
        return x.astype("float32"), self.y[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1


def balanced_class_weights(labels: np.ndarray) -> np.ndarray:
    """Weight per class so that every class carries the same total weight (mean weight 1)."""
    counts = np.bincount(labels.astype("int64"))
    return (len(labels) / (len(counts) * np.maximum(counts, 1))).astype("float32")


class EpochCheckpoint(keras.callbacks.Callback):
    """After every epoch: model + optimizer state, then state.json (atomic, in that order)."""

    def __init__(self, directory: Path, history: dict):
        super().__init__()
        self.directory = Path(directory)
        self.history = history

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        finished = epoch + 1
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.history.setdefault("epoch_seconds", []).append(round(time.time() - self._started, 2))
        self.directory.mkdir(parents=True, exist_ok=True)
        weights = self.directory / f"epoch-{finished}.weights.h5"
        hub.save_weights(self.model, weights, include_optimizer=True)
        atomic_write_json(self.directory / "state.json", {"epoch": finished, "history": self.history})
        for old in self.directory.glob("epoch-*"):
            if old != weights:
                old.unlink()


def last_checkpoint(directory: Path) -> dict | None:
    """The committed state of a run directory's checkpoint, or None when there is none."""
    state_file = Path(directory) / "state.json"
    if not state_file.is_file():
        return None
    return json.loads(state_file.read_text())


def restore_checkpoint(model: keras.Model, directory: Path, epoch: int) -> None:
    """Model and optimizer state of a finished epoch; the layout check covers both."""
    model.optimizer.build(model.trainable_variables)
    hub.load_weights(model, directory / f"epoch-{epoch}.weights.h5")


def recipe_with(recipe, epochs=None, batch_size=None, seed=None):
    """A custom trainer's recipe with the command line's overrides (None: keep), checked."""
    overrides = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    recipe = dataclasses.replace(recipe, **{k: v for k, v in overrides.items() if v is not None})
    if recipe.epochs < 1 or recipe.batch_size < 1:
        raise ValueError(
            f"epochs and batch size must be positive, got {recipe.epochs} and {recipe.batch_size}."
        )
    return recipe


def checkpoint_state(out_dir: Path, resume: bool) -> dict | None:
    """The run directory's committed checkpoint state, None for a fresh run; refuses to overwrite one
    silently (a run directory with a checkpoint needs resume=True)."""
    state = last_checkpoint(Path(out_dir) / "checkpoint")
    if state is not None and not resume:
        raise FileExistsError(
            f"{out_dir} already holds a checkpoint; pass --resume to continue it or choose another --out."
        )
    return state


def fit_resumable(
    model: keras.Model,
    data,
    *,
    epochs: int,
    out_dir: Path,
    state: dict | None,
    validation_data=None,
    epoch_metrics: list | None = None,
    callbacks: list | None = None,
    verbose: int | str = "auto",
) -> dict:
    """model.fit for `epochs`, continuing after the epoch in `state` (from checkpoint_state) and
    checkpointing every epoch; `data.epoch` is set so a resumed run sees the same batches.
    epoch_metrics: callbacks that add to an epoch's logs, run before the checkpoint records them;
    callbacks: run after it. Returns the history of all sessions of the run."""
    checkpoint_dir = Path(out_dir) / "checkpoint"
    history: dict = {}
    initial_epoch = 0
    if state is not None:
        initial_epoch, history = state["epoch"], state["history"]
        restore_checkpoint(model, checkpoint_dir, initial_epoch)
        data.epoch = initial_epoch
        print(f"resuming {model.name} from {checkpoint_dir} after epoch {initial_epoch}", file=sys.stderr)
    if initial_epoch < epochs:
        model.fit(
            data,
            epochs=epochs,
            initial_epoch=initial_epoch,
            validation_data=validation_data,
            callbacks=[*(epoch_metrics or []), EpochCheckpoint(checkpoint_dir, history), *(callbacks or [])],
            verbose=verbose,
        )
    return history


def train(
    name: str,
    *,
    steps: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    data_dir=None,
    limit: int | None = None,
    holdout: int = 0,
    seed: int | None = None,
    verbose: int | str = "auto",
    callbacks: list | None = None,
    command: str | None = None,
    distribute: str | None = None,
) -> dict:
    """Train a registered model with its recipe; returns what the run measured.

    Args:
        name: registered model name.
        epochs, batch_size: override the recipe (the shipped weights use the recipe's values).
        out_dir: run directory (default runs/<name>); holds checkpoints and the final weights.
        resume: continue from the last finished epoch in out_dir.
        limit: train on the first `limit` training examples only (quick runs and tests).
        holdout: keep the last `holdout` training examples out of training and report accuracy
            on them (for tuning a recipe without touching the test split).
        callbacks: extra keras callbacks.
        steps: environment steps, for models with their own trainer (reinforcement learning).
        distribute: "data_parallel" replicates the model on every local device (jax, tensorflow).
    """
    spec = registry.get(name)
    if spec.trainer is not None:
        return spec.trainer(
            steps=steps,
            epochs=epochs,
            batch_size=batch_size,
            out_dir=out_dir,
            resume=resume,
            limit=limit,
            holdout=holdout,
            seed=seed,
            verbose=verbose,
            command=command,
            callbacks=callbacks,
            data_dir=data_dir,
        )
    if steps is not None:
        raise ValueError(f"{name} trains by epochs over its dataset; --steps is for agents.")
    if distribute not in (None, "data_parallel"):
        raise ValueError(f"unknown --distribute {distribute!r}; the one strategy is data_parallel.")
    recipe = spec.recipe
    epochs = epochs or recipe.epochs
    batch_size = batch_size or recipe.batch_size
    seed = recipe.seed if seed is None else seed
    out_dir = Path(out_dir or Path("runs") / name)
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch size must be positive, got {epochs} and {batch_size}.")
    state = checkpoint_state(out_dir, resume)

    backend.seed_everything(seed)
    x, y = datasets.load(spec.dataset, "train", data_dir=data_dir)
    if holdout:
        x, y, x_val, y_val = x[:-holdout], y[:-holdout], x[-holdout:], y[-holdout:]
    if limit is not None:
        x, y = x[:limit], y[:limit]
    data = ArrayDataset(
        x,
        y,
        batch_size,
        seed=seed,
        augment=recipe.augment,
        passes=recipe.passes_per_epoch,
        class_weights=balanced_class_weights(y) if recipe.balance_classes else None,
    )

    validation = None
    if not holdout and "val" in datasets.splits(spec.dataset):  # per-epoch val metrics: the learning curve
        x_val, y_val = datasets.load(spec.dataset, "val", data_dir=data_dir, limit=limit)
        validation = ArrayDataset(x_val, y_val, max(batch_size, 256), shuffle=False)

    with backend.data_parallel() if distribute else contextlib.nullcontext() as replicas:
        devices = replicas or 1
        model = spec.build(spec.config)
        if recipe.prepare is not None:
            recipe.prepare(model, x)
        model.compile(
            optimizer=recipe.optimizer(len(data) * epochs),
            loss=recipe.loss(),
            metrics=recipe.metrics(),
            **spec.compile_options.get(backend.current(), {}),
        )
        history = fit_resumable(
            model,
            data,
            epochs=epochs,
            out_dir=out_dir,
            state=state,
            validation_data=validation,
            callbacks=callbacks,
            verbose=verbose,
        )

    result = {
        "model": name,
        "backend": backend.current(),
        "epochs": epochs,
        "batch_size": batch_size,
        "train_examples": int(len(x)),
        "seed": seed,
        "devices": devices,
        "wall_time_s": round(sum(history.get("epoch_seconds", [])), 1),  # all sessions of a resumed run
        "history": history,
        "command": command,
    }
    if holdout:
        result["holdout"] = evaluation.metrics_of(spec, model, x_val, y_val, data_dir=data_dir)
    else:
        if "val" in datasets.splits(spec.dataset):  # the official validation split, for choices
            result["val"] = evaluation.evaluate(model=model, name=name, split="val", data_dir=data_dir)
        result["test"] = evaluation.evaluate(model=model, name=name, data_dir=data_dir)
    weights_path = out_dir / f"{name}.weights.h5"
    hub.save_weights(model, weights_path)
    result["weights"] = str(weights_path)
    result["sha256"] = hub.sha256(weights_path)
    atomic_write_json(out_dir / f"{name}.metrics.json", result)
    return result
