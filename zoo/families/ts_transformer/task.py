"""The volatility forecasting task: a year of daily bars in, next 1/5-day variance forecasts out,
measured by QLIKE over the held-out period (2008 on), pooled over the price panel."""

from __future__ import annotations

from zoo.tasks.base import Task


class VolatilityForecaster(Task):
    """(batch, 252, 2) daily [return, Garman-Klass variance] in, [rv1, rv5, gk1, gk5, ret1] out."""

    kind = "volatility-forecasting"
    headline = "qlike_rv1"
    abilities = frozenset({"evaluate", "train"})
    hint = "it reads price series: use `python -m applications.finance forecast`"

    def evaluate(
        self, model, *, split=None, limit=None, data_dir=None, sample=False, tta=False, seed=0, data=None
    ):
        """QLIKE (and MSE) of every target over the held-out period, pooled over the panel (or the
        bundled SPY/IBM sample with `sample=True`).

        Example:
            >>> task = zoo.core.registry.get("ts_transformer").tasks()
            >>> task.evaluate(task.spec.load(), sample=True)["metrics"]["qlike_rv1"]
        """
        self.refuse_data(data)
        from zoo.families.ts_transformer import volatility

        if split not in (None, "test") or limit is not None or tta:
            raise ValueError(
                f"{self.name} is measured on its whole held-out period: no --split, --limit or --tta."
            )
        return self.record(*volatility.score_heldout(model, data_dir=data_dir, sample=sample))

    def train(self, options) -> dict:
        from zoo.families.ts_transformer import ts_transformer

        return ts_transformer.train(self.spec, options)

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"QLIKE {metrics['qlike_rv1']:.3f}"  # next-day variance
