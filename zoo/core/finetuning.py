"""The plumbing every `zoo finetune` shares: its options, the pretrained weights carried into a model
with a new head, the two phases (head only, then everything at a lower rate), the best validation
epoch kept, and the model directory written at the end.

A fine-tune runs inside a training.Run in its --out folder, so it has the same lock, per-epoch
checkpoints and --resume as `zoo train`; the finished folder is a model directory (model_dir.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from zoo.core import backend, hub, model_dir
from zoo.core.atomic import atomic_write_json
from zoo.core.training import TrainOptions, fit_resumable, last_checkpoint

BEST = "best.weights.h5"  # in the run's checkpoint folder: the weights of the best validation epoch
UNFROZEN_RATE = 0.1  # the whole network trains at this fraction of the head's learning rate
DEFAULT_STEPS = 400  # without --epochs: at least this many optimizer steps (10 to 20 epochs)
MIN_STEPS_PER_EPOCH = 20  # a small set is passed over several times per epoch (checkpoints stay few)


@dataclass(frozen=True)
class FinetuneOptions(TrainOptions):
    """`zoo finetune`'s options: TrainOptions (epochs, batch_size, seed, out_dir, resume, force, ...) and:

    Args:
        learning_rate: the head's learning rate; the unfrozen network trains at a tenth of it (default:
            the task's, 1e-3 for classifiers' Adam).
        val_split: the share of each class (or of the rows) held out for validation, default 0.2, when the
            data has no val/ folder.
        freeze_epochs: epochs that train only the new head before the whole network is unfrozen
            (default: a quarter of the epochs).
        skip_bad: leave unreadable files out (counted) instead of refusing the data.
        from_scratch: random initial weights instead of the base model's (the transfer study's baseline).
        target: regression: the CSV column to predict.
        items: recommenders: a CSV of item, title[, genres] for the items of the interactions CSV.
        cut: forecasters: the date (YYYY-MM-DD) before which it trains and after which it is measured.
    """

    learning_rate: float | None = None
    val_split: float | None = None
    freeze_epochs: int | None = None
    skip_bad: bool = False
    from_scratch: bool = False
    target: str | None = None
    items: str | Path | None = None
    cut: str | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.out_dir is None:
            raise ValueError("--out is required: the folder the fine-tuned model is written to.")
        if self.learning_rate is not None and not 0 < self.learning_rate <= 1:
            raise ValueError(f"--lr must be in (0, 1], got {self.learning_rate}.")
        if self.val_split is not None and not 0 < self.val_split < 1:
            raise ValueError(f"--val-split must be between 0 and 1 (exclusive), got {self.val_split}.")
        if self.freeze_epochs is not None and (
            not isinstance(self.freeze_epochs, int) or self.freeze_epochs < 0
        ):
            raise ValueError(f"--freeze-epochs must be a whole number >= 0, got {self.freeze_epochs}.")
        if None not in (self.epochs, self.freeze_epochs) and self.freeze_epochs > self.epochs:
            raise ValueError(
                f"--freeze-epochs {self.freeze_epochs} is more than --epochs {self.epochs}; "
                "the frozen epochs are part of the total."
            )

    @property
    def out(self) -> Path:
        return Path(self.out_dir)

    def schedule(self, n_train: int, batch_size: int) -> tuple[int, int, int]:
        """(epochs, frozen epochs, passes over the data per epoch): an epoch is at least
        MIN_STEPS_PER_EPOCH steps; without --epochs, about DEFAULT_STEPS steps with a quarter frozen."""
        steps_per_pass = -(-n_train // batch_size)
        passes = -(-MIN_STEPS_PER_EPOCH // steps_per_pass)
        if self.epochs is not None:
            epochs = self.epochs
        else:  # an epoch has at least MIN_STEPS_PER_EPOCH steps, so this is at most 20 epochs
            epochs = max(10, -(-DEFAULT_STEPS // (steps_per_pass * passes)), self.freeze_epochs or 0)
        return epochs, epochs // 4 if self.freeze_epochs is None else self.freeze_epochs, passes

    def use_only(self, *used: str, task: str) -> None:
        """Refuse, by name, every task-specific option given that `task` does not use."""
        flags = {"steps": "steps", "freeze_epochs": "freeze-epochs", "val_split": "val-split",
                 "skip_bad": "skip-bad", "from_scratch": "from-scratch", "target": "target",
                 "items": "items", "cut": "cut", "batch_size": "batch-size"}  # fmt: skip
        given = [f for f in flags if f not in used and getattr(self, f) not in (None, False)]
        if given:
            shown = " and ".join(f"--{flags[f]}" for f in given)
            raise ValueError(f"{shown} {'does' if len(given) == 1 else 'do'} not apply to {task}.")

    @property
    def model_name(self) -> str:
        """The fine-tuned model's name: its folder's (`--out .` names it after the current folder)."""
        return self.out.resolve().name


def check_out(options: FinetuneOptions) -> None:
    """A finished model directory is never replaced without --resume or --force."""
    if model_dir.is_model_dir(options.out) and not (options.resume or options.force):
        raise FileExistsError(
            f"{options.out} already holds a fine-tuned model; pass --resume to train it further "
            "or --force to replace it."
        )


def clear_finished(out: Path) -> None:
    """--force: the previous model's files go (inside the run's lock, before any training)."""
    for name in (model_dir.MANIFEST, model_dir.WEIGHTS):
        (out / name).unlink(missing_ok=True)


def transfer(base, model, new_head: bool) -> list[str]:
    """Copy the base model's weights into `model` layer by layer (both are built by the same code),
    except the head when `new_head`; returns the names of the layers that keep their fresh weights
    (the head, and any layer whose shapes differ)."""
    fresh = []
    skipped = {id(layer) for layer in head(model)} if new_head else set()
    for source, target in zip(base.layers, model.layers, strict=True):
        weights = source.get_weights()
        if id(target) not in skipped and [w.shape for w in weights] == [
            tuple(v.shape) for v in target.weights
        ]:
            target.set_weights(weights)
        elif target.weights:
            fresh.append(target.name)
    return fresh


def head(model) -> list:
    """The last layer that has weights: what the frozen phase trains."""
    return [next(layer for layer in reversed(model.layers) if layer.weights)]


LOWEST_LOSS = ("val_loss", "min")  # what "the best validation epoch" means unless a task says otherwise


def best_epoch(history: dict, monitor=LOWEST_LOSS) -> int | None:
    """The 1-based epoch whose `monitor` value was best, or None before any epoch."""
    values = history.get(monitor[0], [])
    if not values:
        return None
    return int(np.argmin(values) if monitor[1] == "min" else np.argmax(values)) + 1


class KeepBest(keras.callbacks.Callback):
    """Saves the weights whenever the monitored validation figure improves on the whole run's best."""

    def __init__(self, path: Path, history: dict, name: str, monitor=LOWEST_LOSS):
        super().__init__()
        self.path, self.name, (self.key, mode) = Path(path), name, monitor
        self.sign = 1.0 if mode == "min" else -1.0
        seen = [self.sign * v for v in history.get(self.key, [])]
        self.best = min(seen) if seen and self.path.is_file() else np.inf

    def on_epoch_end(self, epoch, logs=None):
        value = self.sign * float((logs or {}).get(self.key, self.sign * np.inf))
        if value < self.best:
            self.best = value
            hub.save_weights(self.model, self.path, name=self.name)


def fit_phases(
    run,
    model,
    data,
    validation,
    *,
    epochs,
    freeze_epochs,
    learning_rate,
    loss,
    metrics,
    optimizer=None,
    epoch_metrics=(),
    monitor=LOWEST_LOSS,
) -> dict:
    """Train the head alone for `freeze_epochs`, then every layer at UNFROZEN_RATE x `learning_rate`;
    a killed run resumes in the phase it was in. Returns the history of the whole run; the best
    epoch's weights are in the checkpoint folder (`best_model`). `optimizer(rate)` makes the optimizer
    of each phase (default Adam); `epoch_metrics` add to an epoch's logs (e.g. a val_loss of their own)."""
    trainable = {id(layer): layer.trainable for layer in model.layers}
    heads = {id(layer) for layer in head(model)}
    best = run.checkpoint_dir / BEST
    done = run.state["epoch"] if run.state else 0

    def compile_for(rate):
        model.compile(optimizer=(optimizer or keras.optimizers.Adam)(rate), loss=loss, metrics=metrics)

    def fit(until, state, restore):
        history = state["history"] if state else {}
        return fit_resumable(
            model,
            data,
            epochs=until,
            out_dir=run.dir,
            state=state,
            restore=restore,
            validation_data=validation,
            epoch_metrics=[*epoch_metrics, KeepBest(best, history, run.name, monitor)],
            callbacks=list(run.options.callbacks),
            verbose=run.options.verbose,
            name=run.name,
        )

    if freeze_epochs and done <= freeze_epochs:  # resumed at the boundary: restore the frozen optimizer
        for layer in model.layers:
            layer.trainable = trainable[id(layer)] and id(layer) in heads
        compile_for(learning_rate)
        history = fit(freeze_epochs, run.state, restore=True)
        for layer in model.layers:
            layer.trainable = trainable[id(layer)]
        compile_for(learning_rate * UNFROZEN_RATE)
        history = fit(epochs, last_checkpoint(run.checkpoint_dir), restore=False)
    else:
        compile_for(learning_rate * UNFROZEN_RATE if freeze_epochs else learning_rate)
        history = fit(epochs, run.state, restore=True)
    return history


def best_model(run, build):
    """A fresh model from `build()` holding the best validation epoch's weights."""
    if not (run.checkpoint_dir / BEST).is_file():
        raise ValueError(
            f"no epoch of {run.name} had a finite validation figure (training diverged); "
            "lower --lr and start again with --force."
        )
    model = build()
    hub.load_weights(model, run.checkpoint_dir / BEST, name=run.name)
    return model


SETTLED = "finetune.json"  # in the checkpoint folder: what a resumed run must keep


def settle(run, *, fingerprint: str, freeze_epochs: int = 0) -> int:
    """The first session of a run records its data's fingerprint and frozen epochs; a resumed one must
    see the same data and keeps the same frozen epochs (a new count would restore the wrong optimizer).
    Returns the frozen epochs to use."""
    path = run.checkpoint_dir / SETTLED
    if run.state is not None and path.is_file():
        settled = json.loads(path.read_text())
        if settled["fingerprint"] != fingerprint:
            raise ValueError(
                f"{run.dir} was trained on other data (fingerprint {settled['fingerprint'][:12]}, this data "
                f"{fingerprint[:12]}); resume with the same --data or start again with --force."
            )
        return settled["freeze_epochs"]
    atomic_write_json(path, {"fingerprint": fingerprint, "freeze_epochs": freeze_epochs})
    return freeze_epochs


def finish(
    run,
    model,
    tuned,
    base,
    train,
    val,
    metrics,
    base_metrics,
    settings,
    history,
    monitor=LOWEST_LOSS,
    extra=None,
) -> dict:
    """Write the model directory of `tuned` (a ModelSpec) fine-tuned from `base`: the best epoch's
    weights, then model.json with its card (and `extra` fields). Returns model.json's contents."""
    card = {
        "validation": tuned.tasks().record("validation", len(val), metrics),
        "base_validation": base_metrics,
        "data": {
            "source": tuned.dataset,
            "fingerprint": train.fingerprint(),
            "n_train": len(train),
            "n_val": len(val),
            "skipped": len(set(train.skipped) | set(val.skipped)),
        },
        "settings": settings,
        "best_epoch": best_epoch(history, monitor),
        "wall_time_s": run.wall_time(history),
        "backend": backend.current(),
        "trained_on": time.strftime("%Y-%m-%d"),
        "command": run.options.command,
        "params": int(model.count_params()),
        "history": history,
    }
    record = {
        "name": tuned.name,
        "base": base.base or base.name,  # the registered model it is built as
        "parent": base.name,  # what it was fine-tuned from: the base, or another model directory
        "base_sha256": None
        if settings.get("from_scratch")
        else base.weights_sha256 or hub.entry(base.name).get("sha256"),
        "task": tuned.kind,
        "task_class": model_dir.task_reference(tuned.task),
        "dataset": tuned.dataset,
        "description": tuned.description,
        "config": tuned.config,
        "input": tuned.input,
        "output": tuned.output,
        "labels": list(tuned.labels),
        "options": tuned.options,
        "license": f"the data's; base model {base.name}: {base.license}",
        "references": list(base.references),
        **(extra or {}),
        "card": card,
    }
    return model_dir.write(run.dir, model, record)


def summary(record: dict, out) -> dict:
    """The `zoo finetune --json` object (its keys are a stable interface)."""
    card = record["card"]
    return {
        "base": record["base"],
        "out": str(out),
        "task": record["task"],
        "n_train": card["data"]["n_train"],
        "n_val": card["data"]["n_val"],
        "metrics": card["validation"]["metrics"],
        "base_metrics": card["base_validation"],
        "backend": card["backend"],
        "wall_time_s": card["wall_time_s"],
        "best_epoch": card["best_epoch"],
        "skipped": card["data"]["skipped"],
    }
