"""ts_transformer: a transformer encoder that forecasts daily volatility (and the next return) from
the last year of an asset's bars, with its targets, QLIKE and periods (volatility.py) and its task
(task.py). Registration only (no keras)."""

from zoo.core.registry import ModelSpec, register
from zoo.families.ts_transformer import volatility
from zoo.families.ts_transformer.task import VolatilityForecaster

register(
    ModelSpec(
        name="ts_transformer",
        task=VolatilityForecaster,
        module="zoo.families.ts_transformer.ts_transformer",
        dataset="prices",
        description="Transformer encoder over 64 of 252 daily bars -> next 1/5-day variance, next return.",
        config={
            "history": volatility.HISTORY,
            "window": 64,
            "dim": 32,
            "layers": 2,
            "heads": 4,
            "dropout": 0.1,
        },
        input={
            "shape": [volatility.HISTORY, 2],
            "dtype": "float",
            "features": "per day [log return in %, Garman-Klass variance in %^2], oldest first, "
            "from zoo.families.ts_transformer.volatility.daily_series(bars)",
        },
        output="[rv1, rv5, gk1, gk5] variance forecasts (%^2), next 1 and 5 days; the next return (%)",
        license="Apache-2.0 (code and weights); data: Kaggle Huge Stock Market Dataset (CC0)",
        references=(
            "Vaswani et al. 2017, Attention Is All You Need",
            "Patton and Sheppard 2009, Evaluating Volatility and Correlation Forecasts (QLIKE)",
            "Garman and Klass 1980, On the Estimation of Security Price Volatilities from Historical Data",
        ),
    )
)
