"""The one training plumbing: options and their checks, the run directory (lock, refuse-or-resume,
per-epoch checkpoints, the final record), and the shared fit recipe with its seeded data pipeline.

Every trainer, the shared fit and the custom ones (language model, GAN, agent, recommenders,
forecaster), runs inside a `Run`. A run directory holds:
  checkpoint/state.json                 the last finished epoch (written last: the commit point)
  checkpoint/epoch-K.weights.h5         model and optimizer state after epoch K (step count included)
  <name>.weights.h5, <name>.metrics.json   the final weights and what they measured
  .lock                                 held while a process trains in the folder
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from zoo import datasets
from zoo.core import backend, hub, launch
from zoo.core.atomic import atomic_path, atomic_write_json
from zoo.core.errors import RunLocked
from zoo.core.outputs import check_folder


class ArrayDataset(keras.utils.PyDataset):
    """Shuffled minibatches of numpy arrays with optional numpy augmentation.

    Shuffling and augmentation depend only on (seed, epoch, batch index), so a resumed run
    sees exactly the batches the uninterrupted run would have seen.

    shard=(rank, processes): this process's equal slice of every global batch (data-parallel
    processes together see exactly the one-process batches). So that the slices stay equal and
    none is empty, a pass's last batch keeps only a multiple of `processes` rows and is left out
    when it has fewer than `processes` (under `processes` examples per pass are not seen).
    """

    def __init__(
        self, x, y, batch_size, seed=0, augment=None, shuffle=True, passes=1, class_weights=None, shard=(0, 1)
    ):
        super().__init__()
        self.x, self.y = x, y
        self.class_weights = class_weights  # array indexed by label, or None
        self.rank, self.processes = shard
        if batch_size % self.processes:
            raise ValueError(
                f"a batch of {batch_size} (--batch-size) does not split evenly over {self.processes} "
                f"processes; choose a multiple of {self.processes}."
            )
        if len(x) < self.processes:
            raise ValueError(f"{len(x)} examples cannot be split over {self.processes} processes.")
        # a batch larger than the data shrinks to it, kept a multiple of the processes
        self.batch_size = min(batch_size, len(x) // self.processes * self.processes)
        self.seed, self.augment, self.shuffle, self.passes = seed, augment, shuffle, passes
        self.epoch = 0
        self._batches_per_pass = math.ceil(len(x) / self.batch_size)
        if len(x) % self.batch_size and len(x) % self.batch_size < self.processes:
            self._batches_per_pass -= 1  # a last batch with fewer rows than processes: left out

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
        if self.augment is not None:  # the whole global batch, so that each slice is augmented as alone
            rng = np.random.default_rng([self.seed, self.epoch, index, 1])
            x = self.augment(x, rng, rows=rows, epoch=self.epoch)
        if self.processes > 1:
            part = len(rows) // self.processes
            mine = slice(self.rank * part, (self.rank + 1) * part)
            rows, x = rows[mine], x[mine]
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

    def __init__(self, directory: Path, history: dict, name: str | None = None, write: bool = True):
        super().__init__()
        self.directory = Path(directory)
        self.history, self.name, self.write = history, name, write  # write: False on followers

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        finished = epoch + 1
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.history.setdefault("epoch_seconds", []).append(round(time.time() - self._started, 2))
        if not self.write:
            if backend.saving_is_collective():  # every process takes part; only rank 0's file is kept
                with tempfile.TemporaryDirectory() as scratch:
                    hub.save_weights(self.model, Path(scratch) / "w.weights.h5", include_optimizer=True)
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        weights = self.directory / f"epoch-{finished}.weights.h5"
        hub.save_weights(self.model, weights, include_optimizer=True, name=self.name)
        generators = [keras.ops.convert_to_numpy(v.value) for v in random_state(self.model)]
        global_state = backend.global_rng_state()
        extra = {} if global_state is None else {"global": global_state}
        with atomic_path(self.directory / f"epoch-{finished}.rng.npz") as tmp, open(tmp, "wb") as f:
            np.savez(f, *generators, **extra)
        atomic_write_json(self.directory / "state.json", {"epoch": finished, "history": self.history})
        for old in self.directory.glob("epoch-*"):
            if not old.name.startswith(f"epoch-{finished}."):
                old.unlink()


def last_checkpoint(directory: Path) -> dict | None:
    """The committed state of a run directory's checkpoint, or None when there is none."""
    state_file = Path(directory) / "state.json"
    if not state_file.is_file():
        return None
    try:
        state = json.loads(state_file.read_text())
        int(state["epoch"] if "epoch" in state else state["step"])
        return state
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ValueError(
            f"{state_file} is damaged; delete the run folder {Path(directory).parent} to start again."
        ) from None


def restore_checkpoint(model: keras.Model, directory: Path, epoch: int, name: str | None = None):
    """Model and optimizer state of a finished epoch (the checks of hub.load_weights cover both) and
    its dropout generators' state; returns the backend's global random state to resume with, or None."""
    model.optimizer.build(model.trainable_variables)
    hub.load_weights(model, directory / f"epoch-{epoch}.weights.h5", name=name)
    saved = directory / f"epoch-{epoch}.rng.npz"
    if saved.is_file():  # the dropout masks continue where the killed run's would have
        with np.load(saved) as values:
            generators = [key for key in values.files if key != "global"]
            for variable, key in zip(random_state(model), generators, strict=True):
                variable.assign(values[key])
            return values["global"].copy() if "global" in values.files else None
    return None


class ResumeGlobalRNG(keras.callbacks.Callback):
    """Puts the backend's global random state back as the killed run had it at the end of its last
    epoch, at the start of the resumed epoch: fit() draws from it before that, the epoch after it."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_epoch_begin(self, epoch, logs=None):
        if self.state is not None:
            backend.set_global_rng_state(self.state)
            self.state = None


def random_state(model) -> list:
    """The state of every Keras SeedGenerator in `model` (dropout masks): save_weights leaves it
    out, so a checkpoint keeps it beside the weights for a resumed run to be bit-identical."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def fit_resumable(
    model: keras.Model,
    data,
    *,
    epochs: int,
    out_dir: Path,
    state: dict | None,
    restore: bool = True,
    validation_data=None,
    epoch_metrics: list | None = None,
    callbacks: list | None = None,
    verbose: int | str = "auto",
    name: str | None = None,
    write: bool = True,
) -> dict:
    """model.fit for `epochs`, continuing after the epoch in `state` (a Run's committed state) and
    checkpointing every epoch; `data.epoch` is set so a resumed run sees the same batches.
    restore=False continues the count without loading the checkpoint (the model already holds it).
    epoch_metrics: callbacks that add to an epoch's logs, run before the checkpoint records them;
    callbacks: run after it. write=False (data-parallel followers) checkpoints nothing.
    Returns the history of all sessions of the run."""
    checkpoint_dir = Path(out_dir) / "checkpoint"
    history: dict = {}
    initial_epoch, global_rng = 0, None
    if state is not None:
        initial_epoch, history = state["epoch"], state["history"]
        data.epoch = initial_epoch
        if restore:
            global_rng = restore_checkpoint(model, checkpoint_dir, initial_epoch, name)
            print(f"resuming {model.name} from {checkpoint_dir} after epoch {initial_epoch}", file=sys.stderr)
    if initial_epoch < epochs:
        model.fit(
            data,
            epochs=epochs,
            initial_epoch=initial_epoch,
            # The data orders itself by (seed, epoch); Keras's own shuffle of a PyDataset's batch order
            # draws from the global RNG, which a resumed process does not share with the killed one.
            shuffle=False,
            validation_data=validation_data,
            callbacks=[
                ResumeGlobalRNG(global_rng),
                *(epoch_metrics or []),
                EpochCheckpoint(checkpoint_dir, history, name, write),
                *(callbacks or []),
            ],
            verbose=verbose,
        )
    return history


@dataclass(frozen=True)
class TrainOptions:
    """What `zoo train` may change in a recipe; None keeps the recipe's value. Checked on creation.

    Args:
        epochs, batch_size, seed: override the recipe (the shipped weights use the recipe's values).
        steps: environment steps (agents) or optimizer steps per epoch (language models).
        out_dir: run directory (default runs/<name>).
        resume: continue after the last finished epoch in out_dir.
        force: start again in an out_dir that holds a checkpoint (it is removed).
        limit: train on the first `limit` training examples only (quick runs and tests).
        holdout: keep the last `holdout` training examples out of training and measure on them.
        data_dir: folder with the dataset (default: the lookup order of zoo.datasets).
        distribute: "data_parallel" replicates the model on every local device (jax, tensorflow),
            or over the processes of a group (zoo launch, torchrun, TF_CONFIG).
        verbose, callbacks, command: progress, extra keras callbacks, the command line for the record.
    """

    epochs: int | None = None
    batch_size: int | None = None
    seed: int | None = None
    steps: int | None = None
    out_dir: str | Path | None = None
    resume: bool = False
    force: bool = False
    limit: int | None = None
    holdout: int = 0
    data_dir: str | Path | None = None
    distribute: str | None = None
    verbose: int | str = "auto"
    callbacks: tuple = ()
    command: str | None = None

    def __post_init__(self):
        for flag in ("epochs", "batch_size", "steps", "limit"):
            value = getattr(self, flag)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"--{flag.replace('_', '-')} must be a positive whole number, got {value}.")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"--seed must be a whole number >= 0, got {self.seed}.")
        if not isinstance(self.holdout, int) or self.holdout < 0:
            raise ValueError(f"--holdout must be a whole number >= 0, got {self.holdout}.")
        if self.force and self.resume:
            raise ValueError("--force starts again and --resume continues; give one of them.")
        if self.distribute not in (None, "data_parallel"):
            raise ValueError(f"unknown --distribute {self.distribute!r}; the one strategy is data_parallel.")
        object.__setattr__(self, "callbacks", tuple(self.callbacks or ()))

    def refuse(self, *flags: str, because: str) -> None:
        """A clear error when an option that this trainer does not use was given."""
        given = [f for f in flags if getattr(self, f) not in (None, 0, False)]
        if given:
            shown = " and ".join(f"--{f.replace('_', '-')}" for f in given)
            raise ValueError(f"{because}; {shown} {'does' if len(given) == 1 else 'do'} not apply.")

    def recipe(self, recipe, **fields):
        """`recipe` with this run's overrides: epochs, batch_size and seed, plus `fields` mapping a
        recipe field to one of these options (e.g. steps_per_epoch="steps")."""
        wanted = {"epochs": "epochs", "batch_size": "batch_size", "seed": "seed", **fields}
        names = {f.name for f in dataclasses.fields(recipe)}
        changes = {
            k: getattr(self, v) for k, v in wanted.items() if k in names and getattr(self, v) is not None
        }
        return dataclasses.replace(recipe, **changes)


_HOLDS_A_CHECKPOINT = (
    "{} already holds a checkpoint; "
    "pass --resume to continue it, --force to start again, or choose another --out."
)


class Run:
    """A run directory for one training run: locked, checked, resumable, recorded.

    Args:
        name: the model's name (names the weights and metrics files).
        options: the run's TrainOptions (out_dir, resume, command).

    Example:
        >>> with Run("mnist_mlp", TrainOptions(epochs=1)) as run:
        ...     history = run.fit(model, batches, epochs=1)
        ...     result = run.finish(model, {"model": "mnist_mlp"})
    """

    def __init__(self, name: str, options: TrainOptions):
        self.name, self.options = name, options
        self.dir = Path(options.out_dir or Path("runs") / name)
        self.checkpoint_dir = self.dir / "checkpoint"
        self._lock_file = None
        self.state = None
        # A data-parallel follower (rank > 0) writes nothing: it reads rank 0's checkpoint to resume.
        self.leader = launch.world().leader if options.distribute else True

    def __enter__(self) -> Run:
        if not self.leader:
            self.state = None if self.options.force else last_checkpoint(self.checkpoint_dir)
            if self.state is not None and not self.options.resume:
                raise FileExistsError(_HOLDS_A_CHECKPOINT.format(self.dir))
            self.started = time.time()
            return self
        check_folder(self.dir, "--out")
        self._created = [d for d in (self.dir, self.checkpoint_dir) if not d.exists()]
        try:
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cannot write to the run folder {self.dir} ({exc.strerror}).") from None
        try:
            self._lock()
        except RunLocked:
            self._created = []
            raise
        self._remove_stale_temporaries()
        if self.options.force:
            for old in self.checkpoint_dir.iterdir():
                old.unlink()
        self.state = last_checkpoint(self.checkpoint_dir)
        if self.state is not None and not self.options.resume:
            self._unlock()
            self._created = []
            raise FileExistsError(_HOLDS_A_CHECKPOINT.format(self.dir))
        self.started = time.time()
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if not self.leader:
            return
        self._unlock()
        if exc_type is not None and not (self.checkpoint_dir / "state.json").exists():
            self._remove_what_this_run_created()

    def _remove_what_this_run_created(self) -> None:
        """A run that failed before its first checkpoint leaves no folder behind."""
        (self.dir / ".lock").unlink(missing_ok=True)
        for folder in reversed(self._created):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def _lock(self) -> None:
        self._lock_file = open(self.dir / ".lock", "a+")  # noqa: SIM115  held for the whole run
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.seek(0)
            holder = self._lock_file.read().strip() or "another process"
            self._lock_file.close()
            self._lock_file = None
            raise RunLocked(
                f"{self.dir} is in use by a training run ({holder}); wait for it or choose another --out."
            ) from None
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(f"pid {os.getpid()}")
        self._lock_file.flush()

    def _unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _remove_stale_temporaries(self) -> None:
        """Temporary files of a killed run (atomic writes that never reached their rename)."""
        for folder in (self.dir, self.checkpoint_dir):
            for leftover in folder.glob(".*-*.*"):
                if leftover.is_file() and not leftover.name.startswith(".lock"):
                    leftover.unlink()

    @property
    def weights_path(self) -> Path:
        return self.dir / f"{self.name}.weights.h5"

    def fit(self, model, data, *, epochs, validation_data=None, epoch_metrics=None, callbacks=None) -> dict:
        """model.fit for `epochs`, continuing after a committed checkpoint; see fit_resumable."""
        return fit_resumable(
            model,
            data,
            epochs=epochs,
            out_dir=self.dir,
            state=self.state,
            validation_data=validation_data,
            epoch_metrics=epoch_metrics,
            callbacks=[*(callbacks or []), *self.options.callbacks],
            verbose=self.options.verbose if self.leader else 0,
            name=self.name,
            write=self.leader,
        )

    def wall_time(self, history: dict) -> float:
        """Seconds of training over all sessions of a resumed run (this session's when no epochs)."""
        return round(sum(history.get("epoch_seconds", [])) or time.time() - self.started, 1)

    def finish(self, model, result: dict, weights_saved: bool = False) -> dict:
        """Write the final weights (unless the trainer saved its best already), their sha256, and
        `<name>.metrics.json` holding `result` with the weights' path, hash and the command
        (followers write nothing and return `result` as it is)."""
        if not self.leader:
            return {"model": self.name, **result, "weights": str(self.weights_path)}
        if not weights_saved:
            hub.save_weights(model, self.weights_path, name=self.name)
        result = {
            "model": self.name,
            "backend": backend.current(),
            **result,
            "command": self.options.command,
            "weights": str(self.weights_path),
            "sha256": hub.sha256(self.weights_path),
        }
        atomic_write_json(self.dir / f"{self.name}.metrics.json", result)
        return result


def fit_recipe(spec, options: TrainOptions, run: Run):
    """The shared fit: train `spec` with its Recipe inside `run`.

    Returns (model, result, holdout) where result holds the run's settings and history and
    holdout is (x, y) of the held-out training examples, or None.
    """
    options.refuse("steps", because=f"{spec.name} trains by epochs over its dataset (--steps is for agents)")
    recipe = options.recipe(spec.recipe)
    backend.seed_everything(recipe.seed)
    # rank 0 downloads a missing dataset (one file for all its splits) while the others wait
    with backend.leader_first() if options.distribute else contextlib.nullcontext():
        x, y = datasets.load(spec.dataset, "train", data_dir=options.data_dir)
    holdout = None
    if options.holdout:
        if options.holdout >= len(x):
            raise ValueError(
                f"--holdout {options.holdout} leaves no training examples; the split has {len(x)}."
            )
        x, y, holdout = (
            x[: -options.holdout],
            y[: -options.holdout],
            (x[-options.holdout :], y[-options.holdout :]),
        )
    if options.limit is not None:
        x, y = x[: options.limit], y[: options.limit]
    with backend.data_parallel() if options.distribute else contextlib.nullcontext() as replicas:
        shard = (replicas.rank, replicas.processes) if replicas else (0, 1)
        data = ArrayDataset(
            x,
            y,
            recipe.batch_size,
            seed=recipe.seed,
            augment=recipe.augment,
            passes=recipe.passes_per_epoch,
            class_weights=balanced_class_weights(y) if recipe.balance_classes else None,
            shard=shard,
        )
        validation = None
        if not options.holdout and "val" in datasets.splits(spec.dataset):  # per-epoch val metrics: the curve
            x_val, y_val = datasets.load(spec.dataset, "val", data_dir=options.data_dir, limit=options.limit)
            val_shard = shard if replicas and replicas.global_batches else (0, 1)
            val_batch = max(recipe.batch_size, 256) // val_shard[1] * val_shard[1]
            validation = ArrayDataset(x_val, y_val, val_batch, shuffle=False, shard=val_shard)
        model = spec.build()
        if recipe.prepare is not None:
            recipe.prepare(model, x)
        model.compile(
            optimizer=recipe.optimizer(len(data) * recipe.epochs),
            loss=recipe.loss(),
            metrics=recipe.metrics(),
            **spec.compile_options.get(backend.current(), {}),
        )
        backend.compile_training(model)
        if replicas:
            replicas.prepare(model)
        history = run.fit(
            model,
            data,
            epochs=recipe.epochs,
            validation_data=validation,
            epoch_metrics=replicas.callbacks() if replicas else None,
        )
    result = {
        "epochs": max(recipe.epochs, len(history.get("epoch_seconds", []))),
        "batch_size": recipe.batch_size,
        "train_examples": int(len(x)),
        "seed": recipe.seed,
        "devices": replicas.devices if replicas else 1,
        **({"processes": replicas.processes} if replicas and replicas.processes > 1 else {}),
        "wall_time_s": run.wall_time(history),
        "history": history,
    }
    return model, result, holdout
