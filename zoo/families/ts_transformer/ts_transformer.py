"""ts_transformer: a small transformer encoder that forecasts daily volatility (and the next return)
from the last year of an asset's price bars; one model for every asset (trained on a pooled panel).

Input: (batch, 252, 2) float, per day [log return %, Garman-Klass variance %^2] (volatility.daily_series),
the forecast date last. Inside the model, the last `window` days are scaled by the
trailing year's mean squared return, so the model sees scale-free features and works for any asset:
r/s, |r|/s, sqrt(gk)/s, log(gk/s^2 + 0.01). Dense -> + learned position embedding -> keras-hub
TransformerEncoder blocks -> [last day, mean over days] -> MLP -> 5 numbers z.
Output: (batch, 5) [rv1, rv5, gk1, gk5, ret1] in natural units: the variance forecast of target
j is h_j * s^2 * exp(z_j) (z = 0 means "like the last year"), the return forecast s * z_5 / 10.
Loss: QLIKE of the four variance forecasts plus the return's squared error in units of the
forecast daily variance (a Gaussian likelihood with that variance held fixed).
"""

from __future__ import annotations

import dataclasses

import keras
import keras_hub
import numpy as np
from keras import ops

from zoo.core import backend, registry
from zoo.core.registry import AdamRecipe
from zoo.core.training import Run
from zoo.datasets import prices as prices_data
from zoo.families.ts_transformer import volatility

CONFIG = registry.get("ts_transformer").config  # the registration's config: one place
HORIZON_OF_OUTPUT = [volatility.HORIZONS[name] for name in volatility.TARGETS[:4]]


def build(config: dict | None = None) -> keras.Model:
    c = {**CONFIG, **(config or {})}
    bars = keras.Input((c["history"], 2), name="bars")
    variance = ops.mean(ops.square(bars[:, :, 0]), axis=1, keepdims=True) + 1e-4  # (batch, 1)
    recent = bars[:, -c["window"] :]
    r = recent[:, :, 0] / ops.sqrt(variance)
    g = recent[:, :, 1] / variance
    features = ops.clip(ops.stack([r, ops.abs(r), ops.sqrt(g), ops.log(g + 0.01)], axis=-1), -20.0, 20.0)
    x = keras.layers.Dense(c["dim"], name="embed")(features)
    x = x + keras_hub.layers.PositionEmbedding(c["window"], name="position")(x)
    for i in range(c["layers"]):
        x = keras_hub.layers.TransformerEncoder(
            intermediate_dim=2 * c["dim"], num_heads=c["heads"], dropout=c["dropout"], name=f"encoder_{i}"
        )(x)
    pooled = ops.concatenate([x[:, -1], ops.mean(x, axis=1)], axis=-1)
    hidden = keras.layers.Dense(c["dim"], activation="gelu", name="hidden")(pooled)
    z = keras.layers.Dense(len(volatility.TARGETS), kernel_initializer="zeros", name="head")(hidden)
    horizons = np.array([HORIZON_OF_OUTPUT], "float32")  # numpy, on the right: a constant on every backend
    variances = variance * horizons * ops.exp(ops.clip(z[:, :4], -8.0, 8.0))
    mean_return = ops.sqrt(variance) * z[:, 4:] / 10
    return keras.Model(bars, ops.concatenate([variances, mean_return], axis=-1), name="ts_transformer")


def forecaster_loss(y_true, y_pred):
    """Sum of the four QLIKE losses and the return's standardized squared error, per example."""
    forecast = y_pred[:, :4]
    qlike = ops.sum(ops.log(forecast) + y_true[:, :4] / forecast, axis=-1)
    daily_variance = ops.stop_gradient(y_pred[:, 0])
    return qlike + ops.square(y_true[:, 4] - y_pred[:, 4]) / daily_variance


class WindowBatches(keras.utils.PyDataset):
    """Shuffled batches of (252-day inputs, targets) over many assets' forecast dates, built on the
    fly from one concatenated series; the order depends only on (seed, epoch), so resume is exact."""

    def __init__(self, series: np.ndarray, ends: np.ndarray, targets: np.ndarray, batch_size: int, seed=0):
        super().__init__()
        self.series, self.ends, self.targets = series, ends, targets.astype("float32")
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        self._cached = (None, None)

    def __len__(self) -> int:
        return -(-len(self.ends) // self.batch_size)

    def _order(self) -> np.ndarray:
        if self._cached[0] != self.epoch:
            self._cached = (
                self.epoch,
                np.random.default_rng([self.seed, self.epoch]).permutation(len(self.ends)),
            )
        return self._cached[1]

    def __getitem__(self, index: int):
        rows = self._order()[index * self.batch_size : (index + 1) * self.batch_size]
        return volatility.windows(self.series, self.ends[rows]), self.targets[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1


def panel_windows(panel: list[prices_data.Prices], period: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series, ends, targets) of a period's forecast dates over all assets, the series concatenated
    (an end index never reaches back into the asset before it: every end has a full year of its own)."""
    series, ends, targets, offset = [], [], [], 0
    for bars in panel:
        daily = volatility.daily_series(bars)
        t = volatility.period_dates(bars, period)
        series.append(daily)
        ends.append(t + offset)
        targets.append(volatility.targets(daily)[t])
        offset += len(daily)
    return np.concatenate(series), np.concatenate(ends), np.concatenate(targets)


def train(spec, options) -> dict:
    """Train on the pooled panel's forecasts whose targets end before 2006 (purged), inside a Run;
    2006-2007 is the validation curve; the held-out period (2008 on) is measured once at the end."""
    options.refuse("steps", "holdout", because=f"{spec.name} trains by epochs over the price panel")
    recipe = options.recipe(RECIPE)
    with Run(spec.name, options) as run:
        backend.seed_everything(recipe.seed)
        panel = prices_data.load_panel(options.data_dir)
        series, ends, targets = panel_windows(panel, "train")
        if options.limit is not None:  # quick runs: a seeded subset of the training forecasts
            keep = np.sort(np.random.default_rng(recipe.seed).permutation(len(ends))[: options.limit])
            ends, targets = ends[keep], targets[keep]
        val_series, val_ends, val_targets = panel_windows(panel, "val")
        validation = (volatility.windows(val_series, val_ends), val_targets.astype("float32"))
        model = build(CONFIG)
        model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=forecaster_loss)
        history = run.fit(
            model, WindowBatches(series, ends, targets, recipe.batch_size, recipe.seed), epochs=recipe.epochs,
            validation_data=validation,
        )  # fmt: skip
        result = {
            "recipe": dataclasses.asdict(recipe),
            "epochs": recipe.epochs,
            "batch_size": recipe.batch_size,
            "train_examples": int(len(ends)),
            "seed": recipe.seed,
            "wall_time_s": run.wall_time(history),
            "history": history,
        }
        if options.limit is None:  # the held-out period, measured once at the end
            result["test"] = spec.tasks().record(*volatility.score_heldout(model, options.data_dir))
        return run.finish(model, result)


RECIPE = AdamRecipe(
    epochs=4,  # a 12-epoch probe's validation loss was lowest after epoch 4, then rose (overfitting)
    batch_size=256,
    learning_rate=1e-3,
    notes="QLIKE + standardized return error; pooled panel of 26 assets, targets before 2006",
)
