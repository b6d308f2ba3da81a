"""A volatility-targeting strategy driven by a variance forecast, against buy-and-hold.

At the close of day t the position for day t+1 is target_vol / forecast_vol (capped at max_leverage);
costs are cost_bps per unit of position traded. Returns are simple daily returns; the risk-free
rate is taken as 0 in the Sharpe ratio. Not investment advice: a measurement of forecasts.
"""

from __future__ import annotations

import numpy as np

from zoo.families.ts_transformer.walkforward import Forecasts, per_date_mean

TRADING_DAYS = 252
SIZING_MODELS = ("ts_transformer", "garch", "har", "ewma")


def positions(daily_variance_pct2: np.ndarray, target_vol: float, max_leverage: float) -> np.ndarray:
    """Exposure per day from a daily variance forecast in %^2 and an annualized target (0.10 = 10%)."""
    if not 0 < target_vol < 10 or not max_leverage > 0:
        raise ValueError(
            f"target vol must be in (0, 10) as a fraction (0.10 = 10%) and max leverage positive, "
            f"got {target_vol} and {max_leverage}."
        )
    forecast_vol = np.sqrt(daily_variance_pct2 * TRADING_DAYS) / 100
    return np.minimum(target_vol / forecast_vol, max_leverage)


def strategy_returns(next_returns: np.ndarray, exposure: np.ndarray, cost_bps: float) -> np.ndarray:
    """Daily net simple returns of holding `exposure[i]` over the day after forecast i."""
    traded = np.abs(np.diff(np.r_[0.0, exposure]))
    return exposure * next_returns - traded * cost_bps / 1e4


def performance(daily: np.ndarray) -> dict:
    """Annualized return (geometric), volatility, Sharpe (rf = 0), max drawdown, final wealth of 1."""
    wealth = np.cumprod(1 + daily)
    volatility = float(np.std(daily) * np.sqrt(TRADING_DAYS))
    return {
        "annual_return": float(wealth[-1] ** (TRADING_DAYS / len(daily)) - 1),
        "annual_vol": volatility,
        "sharpe": float(np.mean(daily) * TRADING_DAYS / volatility) if volatility > 0 else None,
        "max_drawdown": float(drawdown(daily).min()),
        "final_wealth": float(wealth[-1]),
    }


def drawdown(daily: np.ndarray) -> np.ndarray:
    """Per day, the loss from the highest wealth so far (0 at a new high, -0.2 = 20% below it)."""
    wealth = np.cumprod(1 + daily)
    return wealth / np.maximum.accumulate(np.r_[1.0, wealth])[1:] - 1


def backtest(results: list[Forecasts], target_vol: float, max_leverage: float, cost_bps: float) -> dict:
    """{"dates", "daily": {strategy: net daily returns}, "metrics": {strategy: performance}}; several
    assets are held in equal weights (each vol-targeted on its own), rebalanced daily (that
    rebalancing is not charged; changes of each asset's exposure are)."""
    if cost_bps < 0:
        raise ValueError(f"costs must be zero or positive basis points, got {cost_bps}.")
    dates = np.unique(np.concatenate([r.dates for r in results]))
    every_date = np.concatenate([r.dates for r in results])
    daily = {}
    for name in ("buy_and_hold", *(f"vol_target_{m}" for m in SIZING_MODELS)):
        per_asset = []
        for r in results:
            simple = np.expm1(r.realized[:, 4] / 100)
            if name == "buy_and_hold":
                per_asset.append(simple)
            else:
                exposure = positions(
                    r.variance[name.removeprefix("vol_target_"), "rv1"], target_vol, max_leverage
                )
                per_asset.append(strategy_returns(simple, exposure, cost_bps))
        daily[name] = per_date_mean(every_date, np.concatenate(per_asset))
    return {"dates": dates, "daily": daily, "metrics": {k: performance(v) for k, v in daily.items()}}
