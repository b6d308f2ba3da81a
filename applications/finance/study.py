"""One backtest study: walk-forward forecasts of every model for some assets, the comparison tables,
the vol-targeting backtest, and the machine-readable summary (`backtest --json`; keys are stable)."""

from __future__ import annotations

import numpy as np

from applications.finance import backtest as strategy
from applications.finance.report import NOTE
from zoo.core import backend
from zoo.families.ts_transformer import volatility, walkforward


def run(
    panel,
    model,
    *,
    title: str,
    target: str = "rv1",
    start: str = volatility.TEST_START,
    target_vol: float = 0.10,
    max_leverage: float = 2.0,
    cost_bps: float = 5.0,
    log=print,
) -> tuple[dict, list, dict]:
    """(summary, per-asset Forecasts, backtest result) for `panel` (a list of Prices)."""
    if target not in walkforward.VARIANCE_TARGETS:
        raise ValueError(f"unknown target {target!r}; targets: {', '.join(walkforward.VARIANCE_TARGETS)}.")
    try:
        first = np.datetime64(start, "D")
    except ValueError:
        raise ValueError(f"start {start!r} is not a date; use YYYY-MM-DD, e.g. 2008-01-01.") from None
    if first < np.datetime64(volatility.TEST_START, "D"):
        log(
            f"warning: ts_transformer's weights were trained and validated on data up to 2007; its forecasts "
            f"from {start} to {volatility.TEST_START} are in-sample, not out-of-sample."
        )
    results = []
    for i, bars in enumerate(panel, start=1):
        results.append(walkforward.walk_forward(bars, model, start=start))
        log(f"[{i}/{len(panel)}] {bars.name}: {len(results[-1].dates)} walk-forward forecasts")
    variance = {t: walkforward.compare_variance(results, t) for t in walkforward.VARIANCE_TARGETS}
    returns = walkforward.compare_returns(results)
    tested = strategy.backtest(results, target_vol, max_leverage, cost_bps)
    dates = np.concatenate([r.dates for r in results])
    summary = {
        "title": title,
        "tickers": [bars.name for bars in panel],
        "backend": backend.current(),
        "target": target,
        "qlike": variance[target]["qlike"],
        "mse": variance[target]["mse"],
        "dm_pvalue": {name: test["p_value"] for name, test in variance[target]["dm"].items()},
        "direction_accuracy": {name: r["direction"]["accuracy"] for name, r in returns.items()},
        "n_forecasts": int(len(dates)),
        "period": {"start": str(dates.min()), "end": str(dates.max())},
        "variance": variance,
        "returns": returns,
        "backtest": tested["metrics"],
        "settings": {"target_vol": target_vol, "max_leverage": max_leverage, "cost_bps": cost_bps},
        "note": NOTE,
    }
    return summary, results, tested
