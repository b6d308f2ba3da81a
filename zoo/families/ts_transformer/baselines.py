"""The baselines ts_transformer is measured against. Every forecast for date t uses bars up to t only.

Variance of the next h days, for a daily proxy p (squared returns, or Garman-Klass variances), %^2:
    naive   h x the mean of p over the last 5 days (the last weekly value; a 1-day squared return
            as "last value" is often exactly 0, which no variance forecast may be)
    ewma    RiskMetrics: s2[t+1] = 0.94 s2[t] + 0.06 p[t]; h x s2[t+1]
    garch   GARCH(1,1), constant mean, normal errors (the `arch` package), refit every 21 days on the
            last 2,520 days of returns; for the range proxy its forecast is scaled by the fit window's
            mean(gk) / mean(r^2) (GARCH models close-to-close returns, which include the overnight gap)
    har     HAR (Corsi 2009): OLS of the next h days' p on the last day, week and month of p, refit
            every 21 days on the last 2,520 days whose targets were already known; forecasts outside
            the fit window's range are replaced by its mean (Bollerslev, Patton and Quaedvlieg 2016)
Next-day return: zero (random walk), the historical mean, AR(5) by OLS (refit every 21 days).
"""

from __future__ import annotations

import numpy as np

LAMBDA = 0.94  # RiskMetrics (J.P. Morgan 1996) daily decay
REFIT_EVERY = 21  # trading days between refits (monthly)
WINDOW = 2520  # at most 10 years of history per fit
FLOOR = 1e-4  # %^2: the smallest variance forecast any model may give (a 0.01% daily move)


def refit_blocks(t: np.ndarray):
    """(refit date, the forecast dates it serves): consecutive runs of REFIT_EVERY forecast dates."""
    for start in range(0, len(t), REFIT_EVERY):
        yield t[start], t[start : start + REFIT_EVERY]


def naive(proxy: np.ndarray, t: np.ndarray, h: int) -> np.ndarray:
    past = np.convolve(proxy, np.ones(5) / 5, mode="full")[: len(proxy)]  # past[i] = mean p[i-4..i]
    return np.maximum(h * past[t], FLOOR)


def ewma(proxy: np.ndarray, t: np.ndarray, h: int, lam: float = LAMBDA) -> np.ndarray:
    level = np.empty(len(proxy))
    level[0] = np.mean(proxy[:20])  # the first month's mean starts the recursion
    for i in range(1, len(proxy)):
        level[i] = lam * level[i - 1] + (1 - lam) * proxy[i - 1]
    # level[i] is the forecast for day i made at the close of day i-1
    return np.maximum(h * np.r_[level[1:], lam * level[-1] + (1 - lam) * proxy[-1]][t], FLOOR)


def garch(returns: np.ndarray, t: np.ndarray, horizons=(1, 5), proxies: dict | None = None) -> dict:
    """{(name, h): forecasts} for proxy "rv" (returns) and the other proxies in `proxies` (scaled)."""
    import warnings

    from arch import arch_model

    proxies = proxies or {}
    out = {(name, h): np.empty(len(t)) for name in ("rv", *proxies) for h in horizons}
    done = 0
    for refit, block in refit_blocks(t):
        first = max(0, refit + 1 - WINDOW)
        model = arch_model(returns[first : block[-1] + 1], mean="Constant", vol="GARCH", p=1, q=1)
        with warnings.catch_warnings(), np.errstate(all="ignore"):  # flat windows: arch divides by zero
            warnings.simplefilter("ignore", RuntimeWarning)
            fitted = model.fit(last_obs=refit + 1 - first, disp="off", show_warning=False)
        paths = fitted.forecast(horizon=max(horizons), start=refit - first, reindex=False).variance.to_numpy()
        window_r2 = np.mean(returns[first : refit + 1] ** 2)
        for h in horizons:
            out["rv", h][done : done + len(block)] = paths[:, :h].sum(axis=1)
            for name, proxy in proxies.items():
                ratio = np.mean(proxy[first : refit + 1]) / window_r2
                out[name, h][done : done + len(block)] = ratio * paths[:, :h].sum(axis=1)
        done += len(block)
    return {key: np.maximum(value, FLOOR) for key, value in out.items()}


def har_design(proxy: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """[1, p[t], mean p[t-4..t], mean p[t-21..t]] per row t."""
    cumulative = np.r_[0.0, np.cumsum(proxy)]

    def trailing(days):
        return (cumulative[rows + 1] - cumulative[np.maximum(rows + 1 - days, 0)]) / days

    return np.stack([np.ones(len(rows)), proxy[rows], trailing(5), trailing(22)], axis=1)


def insanity_filter(forecast: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Forecasts outside the range of the targets seen in the fit window (a linear model can go
    negative) are replaced by their mean."""
    sane = (forecast >= seen.min()) & (forecast <= seen.max())
    return np.where(sane, forecast, seen.mean())


def har(proxy: np.ndarray, t: np.ndarray, h: int) -> np.ndarray:
    future = np.convolve(proxy, np.ones(h), mode="valid")  # future[i] = p[i..i+h-1]
    out = np.empty(len(t))
    done = 0
    for refit, block in refit_blocks(t):
        # rows whose h-day target was complete at the refit date's close: row + h <= refit
        rows = np.arange(max(21, refit + 1 - WINDOW), refit - h + 1)
        seen = future[rows + 1]
        coef, *_ = np.linalg.lstsq(har_design(proxy, rows), seen, rcond=None)
        out[done : done + len(block)] = np.maximum(
            insanity_filter(har_design(proxy, block) @ coef, seen), FLOOR
        )
        done += len(block)
    return out


def historical_mean(returns: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The mean of every return up to and including day t (the first day's 0 left out)."""
    return (np.cumsum(returns) / np.maximum(np.arange(len(returns)), 1))[t]


def autoregressive(returns: np.ndarray, t: np.ndarray, lags: int = 5) -> np.ndarray:
    """AR(lags) with intercept, OLS on the fit window, refit every REFIT_EVERY days."""

    def design(rows):
        return np.stack([np.ones(len(rows)), *(returns[rows - k] for k in range(lags))], axis=1)

    out = np.empty(len(t))
    done = 0
    for refit, block in refit_blocks(t):
        rows = np.arange(max(lags, refit + 1 - WINDOW), refit)  # targets returns[row + 1] <= refit
        coef, *_ = np.linalg.lstsq(design(rows), returns[rows + 1], rcond=None)
        out[done : done + len(block)] = design(block) @ coef
        done += len(block)
    return out
