"""Measure a model on a dataset split: accuracy for classifiers, MSE (and OLS's) for regressors."""

from __future__ import annotations

import numpy as np

from zoo import backend, datasets, registry


def predict(model, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Raw model outputs as numpy (logits for the MNIST classifiers)."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))


def ordinary_least_squares_mse(x_train, y_train, x_test, y_test) -> float:
    """Test MSE of the closed-form least-squares fit with an intercept: the regression anchor."""
    design = np.c_[x_train.astype("float64"), np.ones(len(x_train))]
    coef, *_ = np.linalg.lstsq(design, y_train.astype("float64"), rcond=None)
    prediction = np.c_[x_test.astype("float64"), np.ones(len(x_test))] @ coef
    return float(np.mean((prediction - y_test) ** 2))


def class_probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax per row; a single logit z (binary models) gives [1 - sigmoid(z), sigmoid(z)]."""
    logits = np.asarray(logits, dtype="float64")
    if logits.shape[-1] == 1:  # softmax([0, z]) = [1 - sigmoid(z), sigmoid(z)]
        logits = np.concatenate([np.zeros_like(logits), logits], axis=-1)
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def predict_flip_tta(model, x: np.ndarray) -> np.ndarray:
    """Test-time augmentation: the mean of the outputs on the images and on their mirror images."""
    return (predict(model, x) + predict(model, x[:, :, ::-1])) / 2


def metrics_of(spec, model, x, y, data_dir=None, tta: bool = False) -> dict:
    if spec.task == "language-modeling":  # x is text; the model's own scorer
        metrics = spec.extra["score"](model, x)
        metrics.pop("characters")
        return metrics
    outputs = predict_flip_tta(model, x) if tta else predict(model, x)
    if spec.task == "classification":
        return {"accuracy": float(np.mean(outputs.argmax(axis=-1) == y))}
    if spec.task == "binary-classification":  # one logit per example, for label 1
        from sklearn.metrics import roc_auc_score

        logits = outputs.reshape(-1)
        return {"accuracy": float(np.mean((logits > 0) == (y == 1))), "auc": float(roc_auc_score(y, logits))}
    mse = float(np.mean((outputs.reshape(-1).astype("float64") - y) ** 2))
    x_train, y_train = datasets.load(spec.dataset, "train", data_dir=data_dir)
    return {"mse": mse, "ols_mse": ordinary_least_squares_mse(x_train, y_train, x, y)}


def evaluate(
    name: str,
    split: str | None = None,
    limit: int | None = None,
    data_dir=None,
    model=None,
    sample: bool = False,
    seed: int = 0,
    tta: bool = False,
) -> dict:
    """Measure a model (the pretrained one unless `model` is given) on a split.

    With `sample=True` the bundled real sample of the test split is used (offline).
    With `tta=True` image classifiers that allow it average their outputs over left-right flips.
    Returns the machine-readable record printed by `zoo eval --json`.
    """
    spec = registry.get(name)
    if tta and not spec.extra.get("flip_tta"):
        allowed = [n for n in registry.names() if registry.get(n).extra.get("flip_tta")]
        raise ValueError(f"{name} has no flip test-time augmentation; models with it: {', '.join(allowed)}.")
    if spec.task == "volatility-forecasting":  # the held-out period (2008 on), pooled over the price panel
        if split not in (None, "test") or limit is not None:
            raise ValueError(f"{name} is measured on its whole held-out period: no --split or --limit.")
        from zoo import load, volatility

        model = model if model is not None else load(name)
        return _record(spec, *volatility.score_heldout(model, data_dir=data_dir, sample=sample))
    if split is None:  # the test split, or the validation split of datasets without one
        split = "test" if "test" in datasets.splits(spec.dataset) else "val"
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of examples, got {limit}.")
    if model is None:
        from zoo import load

        model = load(name)
    if spec.evaluator is not None:  # an agent: measured on seeded episodes, not a dataset split
        episodes = limit or 100
        return _record(spec, "greedy episodes", episodes, spec.evaluator(model, episodes=episodes, seed=seed))
    if spec.task == "recommendation":  # full ranking of every unseen item, per user with held-out items
        from zoo import recommendation

        label, users, metrics = recommendation.score_split(model, split, data_dir=data_dir, sample=sample)
        return _record(spec, label, users, metrics)
    if spec.task == "generation":  # samples drawn from the model, compared with the real test split
        n = limit or 10_000
        scores = spec.extra["score"](model, n=n, seed=seed, data_dir=data_dir)
        return _record(spec, "generated vs test", n, scores)
    if sample:
        x, y = datasets.load_sample(spec.dataset)
        split = "val-sample" if y is None else "test-sample"
        if limit is not None:
            x, y = x[:limit], (None if y is None else y[:limit])
    else:
        x, y = datasets.load(spec.dataset, split, data_dir=data_dir, limit=limit)
        if limit is None:
            split = datasets.split_label(spec.dataset, split, len(x))
    n = int(len(x)) - (spec.task == "language-modeling")  # text: every character but the first
    result = _record(spec, split, n, metrics_of(spec, model, x, y, data_dir=data_dir, tta=tta))
    return {**result, "tta": True} if tta else result


def _record(spec, split: str, n: int, metrics: dict) -> dict:
    """The machine-readable result of `zoo eval --json` (its keys are a stable interface)."""
    return {
        "model": spec.name,
        "backend": backend.current(),
        "dataset": spec.dataset,
        "split": split,
        "n": n,
        "metrics": metrics,
    }
