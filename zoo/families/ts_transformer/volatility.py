"""Daily volatility forecasting on price bars: the series, targets and loss that ts_transformer is
trained and measured on, and the fixed held-out period its shipped weights are judged by.

Units: returns are close-to-close log returns in percent; variances are in percent squared.
A forecast made at the close of day t is for days t+1..t+h. Targets (one row per forecast date t):
    rv1, rv5   sum of squared returns over the next 1 / 5 days (realized variance from returns)
    gk1, gk5   sum of Garman-Klass daily variances (from open, high, low, close) over the next 1 / 5 days
    ret1       the next day's return
QLIKE (Patton and Sheppard 2009): log(f) + y / f, averaged; lower is better; robust to a noisy proxy y
and defined where y is 0 (a day without a price change).
"""

from __future__ import annotations

import numpy as np

from zoo.datasets import prices as prices_data

HISTORY = 252  # days of bars a forecast sees (the model's input length; one trading year)
TARGETS = ("rv1", "rv5", "gk1", "gk5", "ret1")
HORIZONS = {"rv1": 1, "rv5": 5, "gk1": 1, "gk5": 5}
TRAIN_END = "2005-12-31"  # ts_transformer learns from forecasts whose targets end by here (minus the purge)
VALIDATION_END = "2007-12-31"  # 2006-2007: its learning curve; nothing after 2007 is seen in training
TEST_START = "2008-01-01"  # the held-out period: every forecast made from here to the end of the data
PURGE_DAYS = 10  # trading days dropped before each boundary, so no target overlaps the next period


def daily_series(bars: prices_data.Prices) -> np.ndarray:
    """(days, 2) float32: [log return %, Garman-Klass variance %^2]; the first day's return is 0."""
    log_ho, log_lo, log_co = (np.log(x / bars.open) for x in (bars.high, bars.low, bars.close))
    garman_klass = 0.5 * (log_ho - log_lo) ** 2 - (2 * np.log(2) - 1) * log_co**2
    returns = np.r_[0.0, np.diff(np.log(bars.close))]
    return np.stack([100 * returns, 1e4 * np.maximum(garman_klass, 0.0)], axis=1).astype("float32")


def targets(series: np.ndarray) -> np.ndarray:
    """(days, 5) float64 [rv1, rv5, gk1, gk5, ret1] per forecast date; NaN where the future is too short."""
    days = len(series)
    out = np.full((days, len(TARGETS)), np.nan)
    squared, garman_klass = series[:, 0].astype("float64") ** 2, series[:, 1].astype("float64")
    for column, (values, h) in enumerate([(squared, 1), (squared, 5), (garman_klass, 1), (garman_klass, 5)]):
        sums = np.convolve(values, np.ones(h), mode="valid")  # sums[i] = values[i..i+h-1]
        out[: days - h, column] = sums[1 : days - h + 1]
    out[:-1, 4] = series[1:, 0]
    return out


def forecast_dates(bars: prices_data.Prices, start=None, end=None, need_targets: bool = True) -> np.ndarray:
    """Indices t of the forecast dates in [start, end] with a full input history (and full targets)."""
    t = np.arange(HISTORY - 1, len(bars) - (5 if need_targets else 0))
    if start is not None:
        t = t[bars.dates[t] >= np.datetime64(start, "D")]
    if end is not None:
        t = t[bars.dates[t] <= np.datetime64(end, "D")]
    return t


def period_dates(bars: prices_data.Prices, period: str) -> np.ndarray:
    """The forecast dates of "train", "val" or "test", purged so no target crosses into the next period."""
    if period == "test":
        return forecast_dates(bars, start=TEST_START)
    bounds = {"train": (None, TRAIN_END), "val": (TRAIN_END, VALIDATION_END)}
    if period not in bounds:
        raise ValueError(f"unknown period {period!r}; periods: train, val, test.")
    start, end = bounds[period]
    t = forecast_dates(bars, end=end)
    if start is not None:
        t = t[bars.dates[t] > np.datetime64(start, "D")]
    return t[:-PURGE_DAYS] if len(t) > PURGE_DAYS else t[:0]


def windows(series: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(len(t), HISTORY, 2) model inputs: the bars' series up to and including each day t."""
    return series[np.asarray(t)[:, None] + np.arange(1 - HISTORY, 1)]


def qlike(realized: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Per-forecast QLIKE loss log(f) + y / f for variance forecasts f > 0 of realized variance y >= 0."""
    forecast = np.asarray(forecast, "float64")
    if np.any(~(forecast > 0)):
        raise ValueError("variance forecasts must be positive to be scored by QLIKE.")
    return np.log(forecast) + np.asarray(realized, "float64") / forecast


def predict(model, bars: prices_data.Prices, t: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """(len(t), 5) forecasts [rv1, rv5, gk1, gk5, ret1] of a ts_transformer for forecast dates t."""
    series = daily_series(bars)
    out = [
        np.asarray(model.predict_on_batch(windows(series, t[i : i + batch_size])), "float64")
        for i in range(0, len(t), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, len(TARGETS)))


def losses(realized: np.ndarray, forecast: np.ndarray) -> dict:
    """QLIKE and MSE per variance target, RMSE of the return forecast, over rows of [rv1 .. ret1]."""
    metrics = {}
    for column, name in enumerate(TARGETS[:4]):
        metrics[f"qlike_{name}"] = float(np.mean(qlike(realized[:, column], forecast[:, column])))
        metrics[f"mse_{name}"] = float(np.mean((realized[:, column] - forecast[:, column]) ** 2))
    metrics["rmse_ret1"] = float(np.sqrt(np.mean((realized[:, 4] - forecast[:, 4]) ** 2)))
    return metrics


def score_heldout(model, data_dir=None, sample: bool = False) -> tuple[str, int, dict]:
    """(label, forecasts, metrics) of a ts_transformer on the held-out period, pooled over the panel
    (the 26 assets from 2008; the bundled sample's SPY and IBM, 2014-2017, also all after 2007)."""
    realized, forecast = [], []
    for bars in prices_data.load_panel(data_dir, sample=sample):
        t = period_dates(bars, "test")
        realized.append(targets(daily_series(bars))[t])
        forecast.append(predict(model, bars, t))
    realized, forecast = np.concatenate(realized), np.concatenate(forecast)
    label = "test-sample (SPY, IBM)" if sample else f"test (26 assets, from {TEST_START})"
    return label, len(realized), losses(realized, forecast)
