"""Image classification: many classes (softmax over logits) and binary (one logit for label 1)."""

from __future__ import annotations

import numpy as np

from zoo.tasks.supervised import SupervisedTask


def class_probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax per row; a single logit z (binary models) gives [1 - sigmoid(z), sigmoid(z)].

    Example:
        >>> class_probabilities(np.array([[0.0]]))   # array([[0.5, 0.5]])
    """
    logits = np.asarray(logits, dtype="float64")
    if logits.shape[-1] == 1:  # softmax([0, z]) = [1 - sigmoid(z), sigmoid(z)]
        logits = np.concatenate([np.zeros_like(logits), logits], axis=-1)
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


class ImageClassifier(SupervisedTask):
    """Images in (raw 0-255, as the dataset stores them), one logit per class out; accuracy."""

    kind = "classification"
    headline = "accuracy"
    abilities = SupervisedTask.abilities | {"quantize"}

    def predict(self, model, x, top: int = 3) -> list[dict]:
        """The `top` likeliest classes of each image with their probabilities (and names).

        Example:
            >>> task = zoo.core.registry.get("cifar_resnet").tasks()
            >>> task.predict(task.spec.load(), x_test[:2], top=5)[0]["top"][0]["name"]
        """
        if top < 1:
            raise ValueError(f"--top must be at least 1, got {top}.")
        probabilities = class_probabilities(self.outputs(model, x))
        names = self.spec.labels
        results = []
        for probs in probabilities:
            best = np.argsort(-probs)[:top]
            results.append(
                {
                    "top": [
                        {"label": int(k), "name": names[k], "probability": float(probs[k])}
                        if names
                        else {"label": int(k), "probability": float(probs[k])}
                        for k in best
                    ]
                }
            )
        return results

    def metrics(self, model, x, y, data_dir=None, tta: bool = False) -> dict:
        outputs = self.outputs(model, x, tta)
        return {"accuracy": float(np.mean(outputs.argmax(axis=-1) == y))}

    def headline_text(self, metrics: dict, tta: dict | None = None) -> str:
        shown = f"{metrics['accuracy']:.2%}"
        return f"{shown} (TTA {tta['accuracy']:.2%})" if tta else shown


class BinaryImageClassifier(ImageClassifier):
    """Images in, one logit for the positive label (spec.options["positive_label"]) out; accuracy, AUC."""

    kind = "binary-classification"

    def metrics(self, model, x, y, data_dir=None, tta: bool = False) -> dict:
        from sklearn.metrics import roc_auc_score

        logits = self.outputs(model, x, tta).reshape(-1)
        return {"accuracy": float(np.mean((logits > 0) == (y == 1))), "auc": float(roc_auc_score(y, logits))}
