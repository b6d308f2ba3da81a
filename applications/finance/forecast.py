"""The next forecasts for one asset, made at the close of its last bar, and the picture of them:
price history with the ts_transformer's 90% band for the next days, and its recent walk-forward
volatility forecasts against what was realized."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from applications.finance.backtest import TRADING_DAYS
from applications.finance.report import NOTE, pyplot, save_png
from zoo.families.ts_transformer import volatility, walkforward

Z90 = 1.6449  # the normal distribution's 95th percentile: a two-sided 90% band
RECENT_DAYS = 250


def next_forecasts(bars, model, horizon: int) -> dict:
    """{model: {"variance": %^2 over the next `horizon` days, "annual_vol": %}} from the last bar;
    horizons 1 and 5 are the trained ones (rv1, rv5)."""
    if horizon not in (1, 5):
        raise ValueError(f"horizon must be 1 or 5 days (the forecast targets), got {horizon}.")
    last = np.array([len(bars) - 1])
    if last[0] < volatility.HISTORY + 21:
        raise ValueError(
            f"{bars.name} has {len(bars)} bars; a forecast needs at least {volatility.HISTORY + 22} "
            f"(a year of history plus a month for the baselines)."
        )
    variance, returns = walkforward.forecast_all(bars, model, last)
    out = {}
    for name in walkforward.VARIANCE_MODELS:
        value = float(variance[name, f"rv{horizon}"][0])
        out[name] = {"variance": value, "annual_vol": float(np.sqrt(value / horizon * TRADING_DAYS))}
    out["ts_transformer"]["next_return"] = float(returns["ts_transformer"][0])
    return out


def plot(bars, model, forecasts: dict, horizon: int, path: Path) -> Path:
    plt = pyplot()
    recent = np.arange(max(volatility.HISTORY, len(bars) - RECENT_DAYS), len(bars))
    dates = bars.dates[recent].astype(object)
    future = np.busday_offset(bars.dates[-1], np.arange(horizon + 1), roll="forward")
    daily_variance = forecasts["ts_transformer"]["variance"] / horizon
    spread = Z90 * np.sqrt(daily_variance * np.arange(horizon + 1)) / 100
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    top.plot(dates, bars.close[recent], color="k", lw=1, label="close")
    centre = bars.close[-1]
    top.fill_between(future.astype(object), centre * np.exp(-spread), centre * np.exp(spread), alpha=0.3,
                     color="C0", label=f"ts_transformer 90% band, next {horizon} day(s)")  # fmt: skip
    top.set_title(f"{bars.name}: last close {bars.dates[-1]}  ({NOTE})", fontsize=9)
    top.legend(fontsize=8)
    learned = volatility.predict(model, bars, recent)
    realized = np.sqrt(
        np.convolve(volatility.daily_series(bars)[:, 0] ** 2, np.ones(21) / 21, "full")[recent]
    )
    bottom.plot(dates, realized * np.sqrt(TRADING_DAYS), color="0.6", lw=1, label="realized (last 21 days)")
    bottom.plot(dates, np.sqrt(learned[:, 0] * TRADING_DAYS), color="C0", lw=1, label="ts_transformer, 1-day")
    for i, name in enumerate(reversed(walkforward.VARIANCE_MODELS)):  # ts_transformer first: C0, as its line
        bottom.scatter([future[-1].astype(object)], [forecasts[name]["annual_vol"]], s=18, color=f"C{i}",
                       label=f"{name}: next {horizon} day(s)")  # fmt: skip
    bottom.set_ylabel("annualized volatility, %")
    bottom.legend(fontsize=7, ncol=2)
    return save_png(fig, path)
