"""Training and scoring of character language models: random windows in, next characters out.

An "epoch" here is a fixed number of optimizer steps on windows drawn at random offsets of the
training text (the text is ~1M characters; a pass over every offset would be 250M tokens).
Windows depend only on (seed, epoch, batch), so a resumed run sees the batches an uninterrupted
run would have seen. Checkpoints and resume are the shared ones from zoo.training.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
import numpy as np

from zoo import datasets
from zoo.core import backend, finetuning
from zoo.core.training import Run


@dataclass(frozen=True)
class LMRecipe:
    """How a character LM's shipped weights were trained."""

    epochs: int
    steps_per_epoch: int
    batch_size: int
    peak_learning_rate: float
    warmup_steps: int
    weight_decay: float
    clip_norm: float = 1.0
    seed: int = 0
    notes: str = ""


class WindowBatches(keras.utils.PyDataset):
    """Batches of (window, window shifted by one) at seeded random offsets of a token array."""

    def __init__(self, tokens: np.ndarray, context: int, batch_size: int, steps: int, seed: int = 0):
        super().__init__()
        if len(tokens) <= context + 1:
            raise ValueError(
                f"the text has {len(tokens)} characters; training needs more than {context + 1}."
            )
        self.tokens, self.context, self.batch_size = tokens, context, batch_size
        self.steps, self.seed, self.epoch = steps, seed, 0
        self._span = np.arange(context + 1)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):
        rng = np.random.default_rng([self.seed, self.epoch, index])
        starts = rng.integers(0, len(self.tokens) - self.context - 1, size=self.batch_size)
        windows = self.tokens[starts[:, None] + self._span]
        return windows[:, :-1], windows[:, 1:]

    def on_epoch_end(self) -> None:
        self.epoch += 1


def optimizer(recipe: LMRecipe, total_steps: int) -> keras.optimizers.Optimizer:
    """AdamW, linear warmup then cosine decay to 10% of the peak; no decay on norms and biases."""
    warmup = min(recipe.warmup_steps, max(1, total_steps // 10))
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=max(1, total_steps - warmup),
        alpha=0.1,
        warmup_target=recipe.peak_learning_rate,
        warmup_steps=warmup,
    )
    adamw = keras.optimizers.AdamW(
        learning_rate=schedule,
        weight_decay=recipe.weight_decay,
        beta_2=0.99,
        global_clipnorm=recipe.clip_norm,
    )
    adamw.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return adamw


def validation_loss(model, corpus: str, batch_size: int = 32) -> dict:
    """Mean cross-entropy (nats per character) of every character of `corpus` after the first.

    The text is cut into consecutive windows of the model's context, so each character is
    predicted from the characters before it in its window (0 to context-1 of them), as in
    nanoGPT's evaluation.
    """
    tokens = model.tokenizer.encode(corpus)
    if len(tokens) < 2:
        raise ValueError("scoring needs a text of at least 2 characters.")
    context = model.context
    full = (len(tokens) - 1) // context
    total = 0.0
    pieces = []
    if full:
        head = tokens[: full * context + 1]
        pieces.append((head[:-1].reshape(full, context), head[1:].reshape(full, context)))
    tail = tokens[full * context :]
    if len(tail) > 1:
        pieces.append((tail[None, :-1], tail[None, 1:]))
    for x, y in pieces:
        logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype="float64")
        log_probs = logits - _logsumexp(logits)
        total -= float(np.take_along_axis(log_probs, y[..., None], axis=-1).sum())
    n = len(tokens) - 1
    loss = total / n
    return {"val_loss": loss, "perplexity": float(np.exp(loss)), "characters": n}


def _logsumexp(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))


def train(spec, options) -> dict:
    """Run a language model's recipe inside a Run; `options.steps` overrides the optimizer steps per
    epoch (quick runs), `options.limit` keeps the first characters of the training text."""
    options.refuse("holdout", because=f"{spec.name} is tuned on its validation split")
    recipe = options.recipe(spec.recipe, steps_per_epoch="steps")
    with Run(spec.name, options) as run:
        backend.seed_everything(recipe.seed)
        model = spec.build()
        train_text, _ = datasets.load(spec.dataset, "train", data_dir=options.data_dir, limit=options.limit)
        val_text, _ = datasets.load(spec.dataset, "val", data_dir=options.data_dir)
        if options.limit is not None:  # quick runs score a matching slice of the validation text
            val_text = val_text[: max(options.limit // 9, model.context + 2)]
        batches = WindowBatches(
            model.tokenizer.encode(train_text),
            model.context,
            recipe.batch_size,
            recipe.steps_per_epoch,
            recipe.seed,
        )
        model.compile(
            optimizer=optimizer(recipe, recipe.epochs * recipe.steps_per_epoch),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )

        class ValidationLoss(keras.callbacks.Callback):
            """The whole validation split's loss each epoch: the learning curve, and the shipped epoch."""

            def on_epoch_end(self, epoch, logs=None):
                if logs is not None:
                    logs["val_loss"] = validation_loss(self.model, val_text)["val_loss"]

        best = run.checkpoint_dir / finetuning.BEST
        keep_best = finetuning.KeepBest(best, run.state["history"] if run.state else {}, spec.name)
        history = run.fit(model, batches, epochs=recipe.epochs, epoch_metrics=[ValidationLoss(), keep_best])
        if best.is_file():  # the epoch of lowest validation loss is the one shipped, not the last
            model = finetuning.best_model(run, spec.build)
        epoch_seconds = history.get("epoch_seconds", [])
        tokens_per_epoch = recipe.steps_per_epoch * recipe.batch_size * model.context
        measured = validation_loss(model, val_text)
        losses = history.get("val_loss", [])
        result = {
            "best_epoch": int(np.nanargmin(losses)) + 1 if np.isfinite(losses).any() else None,
            "recipe": dataclasses.asdict(recipe),
            "train_characters": len(train_text),
            "tokens_seen": recipe.epochs * tokens_per_epoch,
            "wall_time_s": run.wall_time(history),
            # the median epoch: robust to an epoch that shared the machine or spanned a pause
            "tokens_per_s": round(tokens_per_epoch / float(np.median(epoch_seconds)), 1)
            if epoch_seconds
            else None,
            "history": history,
            "val": {"split": "val", "n": measured.pop("characters"), "metrics": measured},
        }
        return run.finish(model, result)


FINETUNE_STEPS = 100  # optimizer steps per fine-tuning epoch
FINETUNE_EPOCHS = 5
FINETUNE_RATE = 3e-4  # AdamW, constant: below the recipe's 2e-3 peak, so the base is adapted, not erased
HELD_OUT = 0.1  # the last 10% of the user's text scores the base and the fine-tuned model


def finetune(spec, data, options) -> dict:
    """Train a character LM from `spec`'s weights on a user's text; writes a model directory.

    The text must use only the model's characters (refused with their list otherwise: new embedding
    rows would start untrained and the shipped vocabulary defines the model). The last 10% is held out;
    the epoch with the lowest held-out loss is kept.
    """
    from zoo.core import finetuning, user_data

    options.use_only("steps", "batch_size", task=spec.name)
    finetuning.check_out(options)
    text = user_data.read_text(data)
    base = spec.load()
    try:
        base.tokenizer.encode(text)
    except ValueError as exc:
        raise user_data.DataError(f"{data}: {exc}") from None
    cut = int(len(text) * (1 - HELD_OUT))
    train_text, held_out = text[:cut], text[cut:]
    if len(train_text) <= base.context + 1 or len(held_out) < 2:
        least = int((base.context + 2) / (1 - HELD_OUT))
        raise user_data.DataError(
            f"{data} has {len(text)} characters; fine-tuning {spec.name} needs more than {least} "
            f"(a {base.context}-character window and 10% held out)."
        )
    seed = options.seed or 0
    epochs, rate = options.epochs or FINETUNE_EPOCHS, options.learning_rate or FINETUNE_RATE
    steps = options.steps or FINETUNE_STEPS
    batch_size = options.batch_size or spec.recipe.batch_size
    tuned = dataclasses.replace(
        spec,
        name=options.model_name,
        dataset=str(data),
        description=f"{spec.name} fine-tuned on {data} ({len(train_text):,} characters).",
    )
    with Run(tuned.name, options) as run:
        if options.force:
            finetuning.clear_finished(run.dir)
        finetuning.settle(run, fingerprint=user_data.LabeledText(train_text).fingerprint())
        backend.seed_everything(seed)
        model = spec.load()
        scored = held_out[:10_000]

        class HeldOutLoss(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if logs is not None:
                    logs["val_loss"] = validation_loss(self.model, scored)["val_loss"]

        history = finetuning.fit_phases(
            run,
            model,
            WindowBatches(model.tokenizer.encode(train_text), model.context, batch_size, steps, seed),
            None,
            epochs=epochs,
            freeze_epochs=0,
            learning_rate=rate,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[],
            optimizer=lambda r: keras.optimizers.AdamW(
                learning_rate=r, weight_decay=0.1, global_clipnorm=1.0
            ),
            epoch_metrics=[HeldOutLoss()],
        )
        model = finetuning.best_model(run, tuned.build)
        metrics, base_metrics = validation_loss(model, held_out), validation_loss(base, held_out)
        n = metrics.pop("characters")
        base_metrics.pop("characters")
        settings = {"epochs": epochs, "steps_per_epoch": steps, "batch_size": batch_size,
                    "learning_rate": rate, "seed": seed, "held_out": HELD_OUT}  # fmt: skip
        train, val = user_data.LabeledText(train_text), user_data.LabeledText(held_out, n)
        record = finetuning.finish(
            run, model, tuned, spec, train, val, metrics, base_metrics, settings, history
        )
    return finetuning.summary(record, run.dir)
