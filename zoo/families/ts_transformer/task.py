"""The volatility forecasting task: a year of daily bars in, next 1/5-day variance forecasts out,
measured by QLIKE over the held-out period (2008 on), pooled over the price panel."""

from __future__ import annotations

import numpy as np

from zoo.tasks.base import Task


class VolatilityForecaster(Task):
    """(batch, 252, 2) daily [return, Garman-Klass variance] in, [rv1, rv5, gk1, gk5, ret1] out."""

    kind = "volatility-forecasting"
    page = "volatility"
    headline = "qlike_rv1"
    abilities = frozenset({"evaluate", "train", "finetune"})
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
        from zoo.families.ts_transformer import own_data, volatility

        if "cut" in self.spec.options:  # a model directory fine-tuned on a user's bars
            if data is None:
                raise ValueError(
                    f"{self.name} was fine-tuned on {self.spec.dataset}; pass --data with bars to walk."
                )
            cut, panel = np.datetime64(self.spec.options["cut"], "D"), own_data.read_panel(data)
            table = own_data.walk_forward(panel, cut, model)
            metrics = {f"qlike_{k}": part["qlike"]["ts_transformer"] for k, part in table.items()}
            n = sum(len(volatility.forecast_dates(bars, start=str(cut))) for bars in panel)
            return {**self.record(f"after {cut}", n, metrics), "dataset": str(data), "comparison": table}
        self.refuse_data(data)

        if split not in (None, "test") or limit is not None or tta:
            raise ValueError(
                f"{self.name} is measured on its whole held-out period: no --split, --limit or --tta."
            )
        return self.record(*volatility.score_heldout(model, data_dir=data_dir, sample=sample))

    def finetune(self, data, options) -> dict:
        """Fine-tune on OHLC CSVs before `options.cut`, then walk forward after it against the baselines;
        see own_data.py."""
        from zoo.families.ts_transformer import own_data

        return own_data.finetune(self.spec, data, options)

    def train(self, options) -> dict:
        from zoo.families.ts_transformer import ts_transformer

        return ts_transformer.train(self.spec, options)

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"QLIKE {metrics['qlike_rv1']:.3f}"  # next-day variance
