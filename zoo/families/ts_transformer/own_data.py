"""ts_transformer fine-tuned on a user's price series (`zoo finetune ts_transformer --data bars/ --cut
2019-01-01`), then walked forward after the cut against the naive, EWMA, GARCH(1,1) and HAR baselines,
as the finance application measures the shipped model (not investment advice).

No look-ahead: training uses forecast dates before the cut whose 5-day targets end before it (the purge),
its last 15% (purged again) is the validation set that picks the best epoch, and every forecast after
the cut sees only bars up to its own date.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np

from zoo.core import backend, finetuning, user_data
from zoo.core.training import Run
from zoo.datasets import prices
from zoo.families.ts_transformer import ts_transformer, volatility, walkforward

VALIDATION_SHARE = 0.15  # of the pre-cut forecast dates, the latest ones: the best-epoch choice
FINETUNE_RATE = 1e-4  # Adam: a tenth of the recipe's rate, so the panel's lessons are adapted, not erased
CUT_SHARE = 0.7  # without --cut: the date 70% of the way through the longest series


@dataclasses.dataclass
class Bars:
    """The user's assets as training data: their forecast dates count as examples."""

    panel: list
    t: list
    skipped: list = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return int(sum(len(t) for t in self.t))

    def fingerprint(self) -> str:
        import hashlib

        hashed = hashlib.sha256()
        for bars in self.panel:
            hashed.update(bars.name.encode() + np.ascontiguousarray(volatility.daily_series(bars)).tobytes())
        return hashed.hexdigest()


def read_panel(path) -> list:
    """One OHLC CSV, or every .csv of a folder (one asset each, named by file)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.glob("*.csv")) if path.is_dir() else []
    if not path.exists():
        raise user_data.DataError(f"--data {path} does not exist.")
    if not files:
        raise user_data.DataError(f"--data {path} holds no .csv files of Date,Open,High,Low,Close bars.")
    return [prices.read_csv(f) for f in files]


def choose_cut(panel: list, cut: str | None) -> np.datetime64:
    if cut is not None:
        try:
            return np.datetime64(cut, "D")
        except ValueError:
            raise user_data.DataError(f"--cut {cut!r} is not a date; give YYYY-MM-DD.") from None
    longest = max(panel, key=len)
    return longest.dates[int(len(longest) * CUT_SHARE)]


def before_cut(bars, cut) -> np.ndarray:
    """Forecast dates whose targets end before the cut: dates before it, less the purge."""
    t = volatility.forecast_dates(bars, end=str(cut - 1))
    return t[: -volatility.PURGE_DAYS] if len(t) > volatility.PURGE_DAYS else t[:0]


def finetune(spec, data, options) -> dict:
    """Fine-tune `spec`'s weights on the bars before the cut; walk forward after it with the baselines."""
    options.use_only("cut", "batch_size", task=spec.name)
    finetuning.check_out(options)
    panel = read_panel(data)
    cut = choose_cut(panel, options.cut)
    train_t, val_t = [], []
    for bars in panel:
        t = before_cut(bars, cut)
        n_val = int(len(t) * VALIDATION_SHARE)
        train_t.append(t[: max(0, len(t) - n_val - volatility.PURGE_DAYS)])
        val_t.append(t[len(t) - n_val :] if n_val else t[:0])
    if sum(map(len, train_t)) < 100 or sum(map(len, val_t)) < 20:
        raise user_data.DataError(
            f"{data} has {sum(map(len, train_t))} training and {sum(map(len, val_t))} validation forecast "
            f"dates before {cut}; at least 100 and 20 are needed (each needs {volatility.HISTORY} days of "
            "bars before it): pass a later --cut or longer series."
        )
    seed = spec.recipe.seed if options.seed is None else options.seed
    short = [b.name for b in panel if len(volatility.forecast_dates(b, start=str(cut))) < 30]
    if short:  # checked before training: the walk-forward after the cut needs 30 forecast dates per asset
        raise user_data.DataError(
            f"{', '.join(short)} {'has' if len(short) == 1 else 'have'} fewer than 30 forecast dates after "
            f"--cut {cut} (each needs 5 days of bars after it); pass an earlier --cut or longer series."
        )
    recipe = spec.recipe
    epochs, batch_size = options.epochs or recipe.epochs, options.batch_size or recipe.batch_size
    rate = options.learning_rate or FINETUNE_RATE
    tuned = dataclasses.replace(
        spec,
        name=options.model_name,
        dataset=str(data),
        description=f"{spec.name} fine-tuned on {', '.join(b.name for b in panel)} before {cut}.",
        options={**spec.options, "cut": str(cut)},
    )
    series, ends, targets = _pooled(panel, train_t)
    val_series, val_ends, val_targets = _pooled(panel, val_t)
    with Run(tuned.name, options) as run:
        if options.force:
            finetuning.clear_finished(run.dir)
        finetuning.settle(run, fingerprint=Bars(panel, train_t).fingerprint())
        backend.seed_everything(seed)
        model = spec.load()
        history = finetuning.fit_phases(
            run,
            model,
            ts_transformer.WindowBatches(series, ends, targets, batch_size, seed),
            (volatility.windows(val_series, val_ends), val_targets.astype("float32")),
            epochs=epochs,
            freeze_epochs=0,
            learning_rate=rate,
            loss=ts_transformer.forecaster_loss,
            metrics=[],
        )
        model, base = finetuning.best_model(run, tuned.build), spec.load()
        validation = (volatility.windows(val_series, val_ends), val_targets.astype("float32"))
        metrics, base_metrics = validation_loss(model, *validation), validation_loss(base, *validation)
        table = walk_forward(panel, cut, model)
        for target, base_part in walk_forward(panel, cut, base).items():  # the shipped weights, beside
            table[target]["qlike"]["ts_transformer (shipped)"] = base_part["qlike"]["ts_transformer"]
        settings = {"epochs": epochs, "batch_size": batch_size, "learning_rate": rate, "seed": seed,
                    "cut": str(cut), "purge_days": volatility.PURGE_DAYS, "after_cut": table}  # fmt: skip
        record = finetuning.finish(
            run,
            model,
            tuned,
            spec,
            Bars(panel, train_t),
            Bars(panel, val_t),
            metrics,
            base_metrics,
            settings,
            history,
        )
    return {**finetuning.summary(record, run.dir), "cut": str(cut), "after_cut": table}


def validation_loss(model, x, y) -> dict:
    """The training loss (QLIKE of the four variances + the standardized return error) on (x, y)."""
    predicted = keras.ops.convert_to_tensor(model.predict(x, batch_size=1024, verbose=0))
    loss = ts_transformer.forecaster_loss(keras.ops.convert_to_tensor(y), predicted)
    return {"val_loss": float(np.mean(keras.ops.convert_to_numpy(loss)))}


def _pooled(panel, ts):
    series, ends, targets, offset = [], [], [], 0
    for bars, t in zip(panel, ts, strict=True):
        daily = volatility.daily_series(bars)
        series.append(daily)
        ends.append(t + offset)
        targets.append(volatility.targets(daily)[t])
        offset += len(daily)
    return np.concatenate(series), np.concatenate(ends), np.concatenate(targets)


def walk_forward(panel, cut, model) -> dict:
    """QLIKE / MSE / Diebold-Mariano of every variance model after the cut, pooled over the assets."""
    results = [walkforward.walk_forward(bars, model, start=str(cut)) for bars in panel]
    return {target: walkforward.compare_variance(results, target) for target in ("rv1", "rv5")}
