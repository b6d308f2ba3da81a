"""Regression on tabular features: one number per row, measured by MSE beside least squares."""

from __future__ import annotations

import numpy as np

from zoo import datasets
from zoo.tasks.supervised import SupervisedTask


def ordinary_least_squares_mse(x_train, y_train, x_test, y_test) -> float:
    """Test MSE of the closed-form least-squares fit with an intercept: the regression anchor."""
    design = np.c_[x_train.astype("float64"), np.ones(len(x_train))]
    coef, *_ = np.linalg.lstsq(design, y_train.astype("float64"), rcond=None)
    prediction = np.c_[x_test.astype("float64"), np.ones(len(x_test))] @ coef
    return float(np.mean((prediction - y_test) ** 2))


class Regressor(SupervisedTask):
    """Features in (.npy rows), one prediction out; MSE and the closed-form least-squares MSE."""

    kind = "regression"
    headline = "mse"

    def predict(self, model, x, top: int = 3) -> list[dict]:
        """One prediction per row (`top` does not apply)."""
        return [{"prediction": float(out.reshape(-1)[0])} for out in self.outputs(model, x)]

    def metrics(self, model, x, y, data_dir=None, tta: bool = False) -> dict:
        mse = float(np.mean((self.outputs(model, x).reshape(-1).astype("float64") - y) ** 2))
        x_train, y_train = datasets.load(self.spec.dataset, "train", data_dir=data_dir)
        return {"mse": mse, "ols_mse": ordinary_least_squares_mse(x_train, y_train, x, y)}

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"mse {metrics['mse']:.1f}"
