"""What a backtest leaves for a person: metrics.json, PNGs and report.html (tables and pictures)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from applications.finance.backtest import TRADING_DAYS, drawdown
from zoo.core.atomic import atomic_path, atomic_write_json

NOTE = "Not investment advice: a measurement of forecasts on historical data, with simplified costs."
PLOTTED_MODELS = ("ts_transformer", "garch", "har", "ewma")


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return path


def _annualized(variance_pct2: np.ndarray, days: int) -> np.ndarray:
    return np.sqrt(np.asarray(variance_pct2) / days * TRADING_DAYS)


def plot_forecasts(forecasts, path: Path) -> Path:
    """Realized 5-day volatility against each model's 5-day forecast, annualized %."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 4))
    dates = forecasts.dates.astype("datetime64[D]").astype(object)
    ax.plot(
        dates, _annualized(forecasts.realized[:, 1], 5), color="0.75", lw=0.8, label="realized (next 5 days)"
    )
    for name in PLOTTED_MODELS:
        ax.plot(dates, _annualized(forecasts.variance[name, "rv5"], 5), lw=0.9, label=name)
    ax.set_yscale("log")
    ax.set_ylabel("annualized volatility, %")
    ax.set_title(f"{forecasts.name}: 5-day volatility forecasts vs realized (walk-forward, out of sample)")
    ax.legend(ncol=5, fontsize=8)
    return save_png(fig, path)


def plot_backtest(result: dict, title: str, out_dir: Path) -> list[Path]:
    plt = pyplot()
    dates = result["dates"].astype(object)
    paths = []
    for kind in ("cumulative", "drawdown"):
        fig, ax = plt.subplots(figsize=(11, 4))
        for name, daily in result["daily"].items():
            values = np.cumprod(1 + daily) if kind == "cumulative" else 100 * drawdown(daily)
            ax.plot(dates, values, lw=1.4 if name == "buy_and_hold" else 0.9, label=name)
        if kind == "cumulative":
            ax.set_yscale("log")
            ax.set_ylabel("wealth (start = 1, after costs)")
        else:
            ax.set_ylabel("drawdown, %")
        ax.set_title(f"{title}: {kind.replace('cumulative', 'cumulative returns')}")
        ax.legend(fontsize=8)
        paths.append(save_png(fig, out_dir / f"{kind}.png"))
    return paths


def _table(headers: list[str], rows: list[list]) -> str:
    def cell(value):
        if value is None:
            return "-"
        return f"{value:.4g}" if isinstance(value, float) else html.escape(str(value))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_html(summary: dict, images: list[Path], path: Path) -> Path:
    variance = summary["variance"]
    models = list(next(iter(variance.values()))["qlike"])
    sections = [
        f"<h1>Volatility and return forecasts: {html.escape(summary['title'])}</h1>",
        f"<p><b>{NOTE}</b></p>",
        f"<p>Held-out period {summary['period']['start']} to {summary['period']['end']}, "
        f"{summary['n_forecasts']} forecasts; walk-forward, baselines refit every 21 days on past data "
        "only.</p>",
        "<h2>QLIKE (lower is better)</h2>",
        _table(["target", *models], [[t, *(v["qlike"][m] for m in models)] for t, v in variance.items()]),
        "<h2>Diebold-Mariano p-values, ts_transformer vs each baseline (QLIKE; sign: mean difference)</h2>",
        _table(
            ["target", *models[:-1]],
            [
                [
                    t,
                    *(
                        f"{v['dm'][m]['p_value']:.3g} ({v['dm'][m]['mean_difference']:+.3f})"
                        for m in models[:-1]
                    ),
                ]
                for t, v in variance.items()
            ],
        ),  # fmt: skip
        "<h2>MSE of variance (%^4)</h2>",
        _table(["target", *models], [[t, *(v["mse"][m] for m in models)] for t, v in variance.items()]),
        "<h2>Next-day return</h2>",
        _table(
            ["model", "RMSE %", "direction accuracy", "binomial p", "IC (Spearman)"],
            [
                [m, r["rmse"], r["direction"]["accuracy"], r["direction"]["p_value"], r["ic"]]
                for m, r in summary["returns"].items()
            ],
        ),  # fmt: skip
        f"<h2>Vol targeting ({summary['settings']['target_vol']:.0%} target, at most "
        f"{summary['settings']['max_leverage']}x, {summary['settings']['cost_bps']} bp costs) "
        "vs buy-and-hold</h2>",
        _table(
            ["strategy", "annual return", "annual vol", "Sharpe", "max drawdown"],
            [
                [s, p["annual_return"], p["annual_vol"], p["sharpe"], p["max_drawdown"]]
                for s, p in summary["backtest"].items()
            ],
        ),  # fmt: skip
        *(f'<p><img src="{html.escape(p.name)}" style="max-width:100%"></p>' for p in images),
    ]
    style = "body{font-family:sans-serif;max-width:1100px;margin:auto}td,th{padding:2px 8px;text-align:right}"
    page = f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(summary['title'])}</title>"
    page += f"<style>{style}</style></head><body>{''.join(sections)}</body></html>"
    with atomic_path(path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return path


def write(summary: dict, results, backtest_result: dict, out_dir) -> list[Path]:
    """metrics.json, forecast_vs_realized.png (SPY, or the first asset), cumulative.png, drawdown.png and
    report.html in out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / "metrics.json", summary)
    shown = next((r for r in results if r.name == "SPY"), results[0])  # a pool: SPY when it is in it
    images = [plot_forecasts(shown, out_dir / "forecast_vs_realized.png")]
    images += plot_backtest(backtest_result, summary["title"], out_dir)
    return [out_dir / "metrics.json", *images, write_html(summary, images, out_dir / "report.html")]


def markdown(summaries: dict) -> str:
    """README tables from backtest summaries {label: summary}: QLIKE with DM p-values, returns, backtest."""
    models = list(next(iter(summaries.values()))["qlike"])
    lines = [
        "| assets | target | forecasts | " + " | ".join(models) + " | DM p vs garch | DM p vs har |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in models) + " | ---: | ---: |",
    ]
    for label, summary in summaries.items():
        for target, table in summary["variance"].items():
            best = min(table["qlike"], key=table["qlike"].get)
            cells = [f"**{v:.4f}**" if m == best else f"{v:.4f}" for m, v in table["qlike"].items()]
            cells += [f"{table['dm'][m]['p_value']:.2g}" for m in ("garch", "har")]
            lines.append(f"| {label} | {target} | {summary['n_forecasts']:,} | {' | '.join(cells)} |")
    lines += [
        "",
        "| assets | return forecast | RMSE % | direction | binomial p | IC |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for label, summary in summaries.items():
        for name, r in summary["returns"].items():
            accuracy, p, ic = r["direction"]["accuracy"], r["direction"]["p_value"], r["ic"]
            cells = ["-" if accuracy is None else f"{accuracy:.2%}", "-" if p is None else f"{p:.2g}"]
            cells.append("-" if ic is None else f"{ic:+.3f}")
            lines.append(f"| {label} | {name} | {r['rmse']:.4f} | {' | '.join(cells)} |")
    lines += [
        "",
        "| assets | strategy | annual return | annual vol | Sharpe | max drawdown |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for label, summary in summaries.items():
        for name, p in summary["backtest"].items():
            cells = [f"{p['annual_return']:+.2%}", f"{p['annual_vol']:.2%}", f"{p['sharpe']:.2f}"]
            lines.append(f"| {label} | {name} | {' | '.join(cells)} | {p['max_drawdown']:.1%} |")
    return "\n".join(lines)
