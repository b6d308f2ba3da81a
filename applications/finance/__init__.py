"""Finance forecasting on real daily prices: the zoo's ts_transformer against naive, EWMA, GARCH(1,1)
and HAR volatility forecasts and against zero / mean / AR return forecasts, walk-forward with no
look-ahead, Diebold-Mariano tests, and a vol-targeting backtest with costs vs buy-and-hold.

NOT INVESTMENT ADVICE: a measurement of forecasts on historical data.

    python -m applications.finance forecast --ticker SPY --horizon 5
    python -m applications.finance backtest --ticker IBM --out runs/finance/IBM
    python -m applications.finance backtest --panel --json
"""
