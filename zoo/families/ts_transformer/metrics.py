"""Forecast comparison statistics: the Diebold-Mariano test, direction accuracy, information coefficient."""

from __future__ import annotations

import numpy as np
from scipy import stats


def newey_west_lags(n: int) -> int:
    """The usual automatic bandwidth floor(4 (n / 100)^(2/9)) (Newey and West 1994)."""
    return int(4 * (n / 100) ** (2 / 9))


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray, horizon: int = 1) -> dict:
    """Test of equal expected loss (Diebold and Mariano 1995) with a Newey-West (Bartlett) variance.

    Returns the mean loss difference a - b (negative: a is better), the statistic and the two-sided
    p-value from the normal distribution. Lags: at least horizon - 1 (overlapping targets).
    """
    d = np.asarray(loss_a, "float64") - np.asarray(loss_b, "float64")
    n = len(d)
    if n < 10:
        raise ValueError(f"the Diebold-Mariano test needs at least 10 paired losses, got {n}.")
    centred = d - d.mean()
    lags = max(horizon - 1, newey_west_lags(n))
    variance = centred @ centred / n
    for lag in range(1, lags + 1):
        variance += 2 * (1 - lag / (lags + 1)) * (centred[lag:] @ centred[:-lag]) / n
    statistic = d.mean() / np.sqrt(variance / n)
    return {
        "mean_difference": float(d.mean()),
        "statistic": float(statistic),
        "p_value": float(2 * stats.norm.sf(abs(statistic))),
    }


def direction(realized: np.ndarray, forecast: np.ndarray) -> dict:
    """Share of days whose forecast sign matches the realized sign (days where either is 0 left out),
    with the two-sided binomial test against 50%. No forecast sign at all (zero forecasts): None."""
    signs = np.sign(forecast) * np.sign(realized)
    hits, n = int(np.sum(signs > 0)), int(np.sum(signs != 0))
    if n == 0:
        return {"accuracy": None, "p_value": None, "n": 0}
    return {"accuracy": hits / n, "p_value": float(stats.binomtest(hits, n, 0.5).pvalue), "n": n}


def information_coefficient(realized: np.ndarray, forecast: np.ndarray) -> float | None:
    """Spearman rank correlation of forecast and realized returns; None for a constant forecast."""
    if np.ptp(forecast) == 0:
        return None
    return float(stats.spearmanr(forecast, realized).statistic)
