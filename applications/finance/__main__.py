"""python -m applications.finance {forecast,backtest} ...

Data: $ZOO_DATA_DIR/prices/<TICKER>.csv (or --data-dir), any CSV with Date,Open,High,Low,Close[,Volume]
(--csv), or --sample (SPY and IBM, 2013-2017, bundled). Not investment advice.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from applications import cli_support
from applications.cli_support import ArgumentParser
from zoo.core.flags import number
from zoo.core.outputs import check_folder

PROG = "python -m applications.finance"


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog=PROG, description="Volatility and return forecasts on daily prices (not investment advice)."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    def with_data(p, panel: bool):
        where = p.add_mutually_exclusive_group(required=True)
        where.add_argument("--ticker", help="e.g. SPY" + (" or SPY,IBM" if panel else ""))
        where.add_argument("--csv", help="a CSV file with Date,Open,High,Low,Close[,Volume]")
        if panel:
            where.add_argument("--panel", action="store_true", help="all 26 assets pooled")
        p.add_argument("--data-dir", help="folder with prices/<TICKER>.csv (default: $ZOO_DATA_DIR)")
        p.add_argument("--sample", action="store_true", help="use the bundled SPY/IBM sample (offline)")
        return p

    p = with_data(
        commands.add_parser("forecast", help="the next 1- or 5-day forecasts and a PNG"), panel=False
    )
    p.add_argument("--horizon", type=int, choices=(1, 5), default=5, help="days ahead: 1 or 5")
    p.add_argument("--out", default="runs/finance", help="folder for <TICKER>_forecast.png")
    p.add_argument("--json", action="store_true")
    p = with_data(
        commands.add_parser("backtest", help="walk-forward comparison and vol-targeting backtest"), True
    )
    p.add_argument("--horizon", type=int, choices=(1, 5), default=1, help="the headline target's days ahead")
    p.add_argument("--proxy", choices=("rv", "gk"), default="rv",
                   help="headline variance: rv (squared returns) or gk (Garman-Klass range)")  # fmt: skip
    p.add_argument(
        "--start", help="first forecast date, YYYY-MM-DD (default 2008-01-01: the held-out period)"
    )
    p.add_argument(
        "--target-vol",
        type=number(0, 5, low_open=True),
        default=0.10,
        help="annualized, a fraction in (0, 5]",
    )
    p.add_argument("--max-leverage", type=number(0, 100, low_open=True), default=2.0, help="in (0, 100]")
    p.add_argument(
        "--cost-bps",
        type=number(0, 10_000),
        default=5.0,
        help="cost per unit of position traded, bps (0-10000)",
    )
    p.add_argument("--out", help="folder for report.html, metrics.json and PNGs")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli_support.main(PROG, build_parser(), COMMANDS, argv)


def _panel(args) -> list:
    from zoo.datasets import prices

    if args.csv:
        return [prices.read_csv(args.csv)]
    if getattr(args, "panel", False):
        return prices.load_panel(args.data_dir, sample=args.sample)
    tickers = [t.strip() for t in args.ticker.split(",") if t.strip()]
    if not tickers:
        raise ValueError(f"--ticker {args.ticker!r} names no ticker; e.g. --ticker SPY or --ticker SPY,IBM.")
    return [prices.load(t, args.data_dir, sample=args.sample) for t in tickers]


def _forecast(args) -> int:
    import zoo
    from applications.finance import forecast
    from applications.finance.report import NOTE

    if args.ticker is not None and "," in args.ticker:
        raise ValueError(
            f"forecast reads one asset; --ticker {args.ticker!r} names several (backtest takes a list)."
        )
    check_folder(args.out)
    (bars,) = _panel(args)
    model = zoo.load("ts_transformer")
    result = forecast.next_forecasts(bars, model, args.horizon)
    path = forecast.plot(bars, model, result, args.horizon, Path(args.out) / f"{bars.name}_forecast.png")
    if args.json:
        print(json.dumps({"ticker": bars.name, "as_of": str(bars.dates[-1]), "horizon": args.horizon,
                          "forecasts": result, "plot": str(path), "note": NOTE}))  # fmt: skip
        return 0
    print(f"{bars.name}: forecasts for the {args.horizon} trading day(s) after {bars.dates[-1]} ({NOTE})")
    print(f"{'model':<16}{'variance %^2':>14}{'annualized vol':>16}")
    for name, value in result.items():
        print(f"{name:<16}{value['variance']:14.3f}{value['annual_vol']:15.1f}%")
    print(
        f"ts_transformer next-day return: {result['ts_transformer']['next_return']:+.3f}% "
        "(no edge: see the README)"
    )
    print(f"wrote {path}")
    return 0


def _backtest(args) -> int:
    import zoo
    from applications.finance import report, study
    from zoo.families.ts_transformer import volatility

    if args.out:
        check_folder(args.out)  # before minutes of walk-forward

    if args.horizon not in (1, 5):
        raise ValueError(f"--horizon must be 1 or 5 days (the forecast targets), got {args.horizon}.")
    panel = _panel(args)
    pooled = getattr(args, "panel", False)
    title = f"pooled panel of {len(panel)} assets" if pooled else ", ".join(b.name for b in panel)
    summary, results, tested = study.run(
        panel,
        zoo.load("ts_transformer"),
        title=title,
        target=f"{args.proxy}{args.horizon}",
        start=args.start or volatility.TEST_START,
        target_vol=args.target_vol,
        max_leverage=args.max_leverage,
        cost_bps=args.cost_bps,
        log=cli_support.log_for(args),
    )
    if args.out:
        written = report.write(summary, results, tested, args.out)
        cli_support.log_for(args)(f"wrote {', '.join(str(p) for p in written)}")
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{title}: {summary['n_forecasts']} forecasts, {summary['period']['start']} to "
          f"{summary['period']['end']} ({report.NOTE})")  # fmt: skip
    for target, table in summary["variance"].items():
        row = "  ".join(f"{m} {v:.4f}" for m, v in table["qlike"].items())
        dm = "  ".join(f"{m} {t['p_value']:.3g}" for m, t in table["dm"].items())
        print(f"QLIKE {target}: {row}\n   DM p (ts_transformer vs): {dm}")
    for name, r in summary["returns"].items():
        accuracy = "-" if r["direction"]["accuracy"] is None else f"{r['direction']['accuracy']:.3f}"
        print(f"return {name:<15} RMSE {r['rmse']:.4f}  direction {accuracy}  IC {r['ic']}")
    for name, p in summary["backtest"].items():
        print(f"{name:<26} return {p['annual_return']:+.2%}  vol {p['annual_vol']:.2%}  "
              f"Sharpe {p['sharpe']:.2f}  max DD {p['max_drawdown']:.1%}")  # fmt: skip
    return 0


COMMANDS = {"forecast": _forecast, "backtest": _backtest}

if __name__ == "__main__":
    sys.exit(main())
