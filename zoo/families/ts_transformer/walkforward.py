"""Walk-forward evaluation: every model's forecasts for each date of the held-out period, and the
comparison tables (QLIKE, MSE, Diebold-Mariano; RMSE, direction, IC), per asset or pooled.

No look-ahead: a forecast for date t sees bars up to t only. The baselines refit every 21 days on
data before the refit date (baselines.py); ts_transformer's shipped weights were
trained on targets that end before 2006 (purged), so nothing after 2007 is in them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo.datasets.prices import Prices
from zoo.families.ts_transformer import baselines, metrics, volatility

VARIANCE_MODELS = ("naive", "ewma", "garch", "har", "ts_transformer")
RETURN_MODELS = ("zero", "mean", "ar", "ts_transformer")
VARIANCE_TARGETS = ("rv1", "rv5", "gk1", "gk5")


@dataclass(frozen=True)
class Forecasts:
    """One asset's walk-forward forecasts: row i is the forecast made at the close of dates[i]."""

    name: str
    dates: np.ndarray
    realized: np.ndarray  # (n, 5) [rv1, rv5, gk1, gk5, ret1]
    variance: dict  # {(model, target): (n,) %^2}
    returns: dict  # {model: (n,) % next-day return}


def forecast_all(bars: Prices, model, t: np.ndarray) -> tuple[dict, dict]:
    """({(model, target): variance forecasts}, {model: return forecasts}) for forecast dates t."""
    series = volatility.daily_series(bars).astype("float64")
    returns, proxies = series[:, 0], {"rv": series[:, 0] ** 2, "gk": series[:, 1]}
    variance = {}
    for proxy_name, proxy in proxies.items():
        for h in (1, 5):
            target = f"{proxy_name}{h}"
            variance["naive", target] = baselines.naive(proxy, t, h)
            variance["ewma", target] = baselines.ewma(proxy, t, h)
            variance["har", target] = baselines.har(proxy, t, h)
    for (proxy_name, h), values in baselines.garch(returns, t, proxies={"gk": proxies["gk"]}).items():
        variance["garch", f"{proxy_name}{h}"] = values
    learned = volatility.predict(model, bars, t)
    for column, target in enumerate(VARIANCE_TARGETS):
        variance["ts_transformer", target] = learned[:, column]
    predicted_returns = {
        "zero": np.zeros(len(t)),
        "mean": baselines.historical_mean(returns, t),
        "ar": baselines.autoregressive(returns, t),
        "ts_transformer": learned[:, 4],
    }
    return variance, predicted_returns


def walk_forward(bars: Prices, model, start: str = volatility.TEST_START) -> Forecasts:
    """Forecasts of every model for each date from `start` whose targets are known."""
    t = volatility.forecast_dates(bars, start=start)
    if len(t) < 30:
        raise ValueError(
            f"{bars.name} has {len(t)} forecast dates from {start} (each needs {volatility.HISTORY} days "
            f"before it and 5 after); at least 30 are needed; pass an earlier --start or a longer CSV."
        )
    variance, returns = forecast_all(bars, model, t)
    realized = volatility.targets(volatility.daily_series(bars))[t]
    return Forecasts(bars.name, bars.dates[t], realized, variance, returns)


def per_date_mean(dates: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The cross-asset mean of `values` per date, in date order (pooling for the DM test)."""
    _, where = np.unique(dates, return_inverse=True)
    return np.bincount(where, weights=values) / np.bincount(where)


def compare_variance(results: list[Forecasts], target: str) -> dict:
    """QLIKE and MSE per model, pooled over assets and dates, and the DM test of ts_transformer
    against each baseline on the per-date mean QLIKE across assets."""
    column = VARIANCE_TARGETS.index(target)
    dates = np.concatenate([r.dates for r in results])
    realized = np.concatenate([r.realized[:, column] for r in results])
    losses, table = {}, {"qlike": {}, "mse": {}, "dm": {}}
    for name in VARIANCE_MODELS:
        forecast = np.concatenate([r.variance[name, target] for r in results])
        losses[name] = volatility.qlike(realized, forecast)
        table["qlike"][name] = float(losses[name].mean())
        table["mse"][name] = float(np.mean((realized - forecast) ** 2))
    ours, horizon = per_date_mean(dates, losses["ts_transformer"]), volatility.HORIZONS[target]
    for name in VARIANCE_MODELS[:-1]:
        table["dm"][name] = metrics.diebold_mariano(ours, per_date_mean(dates, losses[name]), horizon)
    return table


def compare_returns(results: list[Forecasts]) -> dict:
    """RMSE, direction accuracy (binomial test vs 50%) and IC of each next-day return forecast."""
    realized = np.concatenate([r.realized[:, 4] for r in results])
    table = {}
    for name in RETURN_MODELS:
        forecast = np.concatenate([r.returns[name] for r in results])
        table[name] = {
            "rmse": float(np.sqrt(np.mean((realized - forecast) ** 2))),
            "direction": metrics.direction(realized, forecast),
            "ic": metrics.information_coefficient(realized, forecast),
        }
    return table
