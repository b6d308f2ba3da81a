"""Regression on tabular features: one number per row, measured by MSE beside least squares."""

from __future__ import annotations

import dataclasses

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
    page = "values"
    headline = "mse"
    abilities = SupervisedTask.abilities | {"finetune"}

    def predict(self, model, x, top: int = 3) -> list[dict]:
        """One prediction per row (`top` does not apply)."""
        return [{"prediction": float(out.reshape(-1)[0])} for out in self.outputs(model, x)]

    def metrics(self, model, x, y, data_dir=None, tta: bool = False, train=None) -> dict:
        """MSE, and beside it least squares fitted on `train` (x, y) or the dataset's training split;
        a model fine-tuned on a CSV measured on other rows has no training split to fit: MSE only."""
        mse = float(np.mean((self.outputs(model, x).reshape(-1).astype("float64") - y) ** 2))
        if train is None and self.spec.dataset in datasets.available():
            train = datasets.load(self.spec.dataset, "train", data_dir=data_dir)
        return {"mse": mse, **({"ols_mse": ordinary_least_squares_mse(*train, x, y)} if train else {})}

    def read_labeled(self, data, skip_bad: bool = False):
        """The rows of a CSV with the columns and target this model reads (a model fine-tuned on a CSV)."""
        from zoo.core import user_data

        if "target" not in self.spec.options:
            raise user_data.DataError(
                f"{self.name} reads .npy features; --data takes a CSV for a model fine-tuned on one."
            )
        return user_data.read_table(data, self.spec.options["target"], columns=self.spec.input["columns"])

    def finetune(self, data, options) -> dict:
        """Train this model's recipe on a CSV: every column but `options.target` is a feature.

        A linear model of one table says nothing about another, so nothing is carried over: the features
        are standardized on the CSV's training rows and the recipe (full-batch SGD) runs from zero; the
        validation MSE is reported beside least squares fitted on the same training rows.

        Example:
            >>> options = FinetuneOptions(out_dir="runs/houses", target="price")
            >>> zoo.task("linear_regression").finetune("houses.csv", options)
        """
        import keras

        from zoo.core import finetuning, user_data
        from zoo.core.training import ArrayDataset, Run

        options.use_only("val_split", "target", "batch_size", task=self.name)
        finetuning.check_out(options)
        seed = options.seed or 0
        table = user_data.read_table(data, options.target)
        train_rows, val_rows = user_data.random_split(table, options.val_split or 0.2, seed, data)
        train, val = table.subset(train_rows), table.subset(val_rows)
        tuned = dataclasses.replace(
            self.spec,
            name=options.model_name,
            config={**self.spec.config, "features": len(table.columns)},
            input={"shape": [len(table.columns)], "columns": table.columns,
                   "dtype": "float32 features as in the CSV (standardized inside the model)"},
            options={"target": table.target},
            dataset=str(data),
            description=f"{self.name}'s recipe on {data}: {table.target} from {len(table.columns)} columns.",
            output=f"predicted {table.target}",
        )  # fmt: skip
        recipe = self.spec.recipe
        epochs = options.epochs or recipe.epochs
        rate = options.learning_rate or 0.1
        batch_size = options.batch_size or recipe.batch_size
        with Run(tuned.name, options) as run:
            if options.force:
                finetuning.clear_finished(run.dir)
            finetuning.settle(run, fingerprint=train.fingerprint())
            model = tuned.build()
            recipe.prepare(model, train.x)
            history = finetuning.fit_phases(
                run,
                model,
                ArrayDataset(train.x, train.y, batch_size, seed=seed, passes=recipe.passes_per_epoch),
                ArrayDataset(val.x, val.y, batch_size, shuffle=False),
                epochs=epochs,
                freeze_epochs=0,
                learning_rate=rate,
                loss=keras.losses.MeanSquaredError(),
                metrics=[],
                optimizer=lambda r: keras.optimizers.SGD(learning_rate=r, momentum=0.9),
            )
            model = finetuning.best_model(run, tuned.build)
            metrics = tuned.tasks().metrics(model, val.x, val.y, train=(train.x, train.y))
            settings = {"epochs": epochs, "passes_per_epoch": recipe.passes_per_epoch, "learning_rate": rate,
                        "batch_size": batch_size,
                        "seed": seed, "from_scratch": True, "target": table.target}  # fmt: skip
            record = finetuning.finish(
                run, model, tuned, self.spec, train, val, metrics, None, settings, history
            )
        return {**finetuning.summary(record, run.dir), "columns": table.columns, "target": table.target}

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"mse {metrics['mse']:.1f}"
