"""Volatility forecasts on real prices: pretrained ts_transformer vs GARCH(1,1), HAR, EWMA. Offline.
Not investment advice: a measurement of forecasts on historical data.

    python examples/finance_forecast.py            # SPY and IBM, the bundled 2013-2017 bars
    KERAS_BACKEND=jax python examples/finance_forecast.py --out runs/finance_example

The full study (every asset since 2008, reports with plots):
    python -m applications.finance backtest --ticker SPY --out runs/finance/SPY
    python -m applications.finance backtest --panel --out runs/finance/panel
"""

import argparse
from pathlib import Path

import zoo
from applications.finance import forecast
from zoo.datasets import prices
from zoo.families.ts_transformer import walkforward

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/finance_example")
args = parser.parse_args()

# 1. Real daily bars shipped with the package (or any CSV: prices.read_csv("my.csv")).
spy, ibm = prices.load("SPY", sample=True), prices.load("IBM", sample=True)
model = zoo.load("ts_transformer")  # reads the last 252 days of [return %, Garman-Klass variance]

# 2. Walk-forward: each model forecasts the next day's variance from the past only; QLIKE, lower is better.
results = [walkforward.walk_forward(bars, model, start="2014-01-01") for bars in (spy, ibm)]
table = walkforward.compare_variance(results, "rv1")
print(f"next-day variance, {sum(len(r.dates) for r in results)} forecasts of SPY and IBM from 2014:")
for name, value in table["qlike"].items():
    test = table["dm"].get(name)
    versus = f"  DM p-value ts_transformer vs {name}: {test['p_value']:.3f}" if test else ""
    print(f"  {name:>15}: QLIKE {value:.4f}{versus}")

# 3. The next five days of SPY, made at the close of its last bar, and a picture of them.
ahead = forecast.next_forecasts(spy, model, horizon=5)
print(f"SPY after {spy.dates[-1]}: next 5 days' volatility, annualized: "
      + ", ".join(f"{name} {f['annual_vol']:.1f}%" for name, f in ahead.items()))  # fmt: skip
path = forecast.plot(spy, model, ahead, 5, Path(args.out) / "SPY_forecast.png")
print(f"Wrote {path.resolve()}")
