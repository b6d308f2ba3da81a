"""Image classification: many classes (softmax over logits) and binary (one logit for label 1)."""

from __future__ import annotations

import dataclasses

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
    page = "photos"
    headline = "accuracy"
    abilities = SupervisedTask.abilities | {"quantize", "finetune"}

    def predict(self, model, x, top: int = 3) -> list[dict]:
        """The `top` likeliest classes of each image with their probabilities (and names).

        Example:
            >>> task = zoo.core.registry.get("cifar_resnet").tasks()
            >>> task.predict(task.spec.load(), x_test[:2], top=5)[0]["top"][0]["name"]
        """
        if top < 1:
            raise ValueError(f"--top must be at least 1, got {top}.")
        return self._ranked(class_probabilities(self.outputs(model, x)), top)

    def _ranked(self, probabilities: np.ndarray, top: int) -> list[dict]:
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

    def read_labeled(self, data, skip_bad: bool = False):
        """A user's labeled images (a folder of class subfolders or an .npz) with this model's label
        numbers; a class the model does not know is refused."""
        from zoo.core import user_data

        labeled = user_data.read_images(data, self.spec, skip_bad)
        unknown = [c for c in labeled.classes if c not in self.spec.labels]
        if unknown:
            raise user_data.DataError(
                f"{data} holds classes {self.name} does not know ({', '.join(unknown)}); "
                f"its classes are {', '.join(self.spec.labels)}."
            )
        return labeled.relabel(list(self.spec.labels))

    def finetune(self, data, options) -> dict:
        """Train from this model's weights on a user's labeled images; writes a model directory.

        A new head when the classes differ from the model's (one logit for two classes, else one
        per class), trained alone for the frozen epochs; then every layer at a tenth of the rate.
        The epoch with the lowest validation loss is kept.

        Example:
            >>> zoo.task("cifar_resnet").finetune("photos/", FinetuneOptions(out_dir="runs/mine"))
        """
        from zoo.core import finetuning, user_data
        from zoo.core.training import ArrayDataset, Run

        options.use_only(
            "freeze_epochs", "val_split", "skip_bad", "from_scratch", "batch_size", task=self.name
        )
        finetuning.check_out(options)
        seed = options.seed or 0
        train, val = user_data.read_split(data, self.spec, options.val_split or 0.2, seed, options.skip_bad)
        same_classes = sorted(train.classes) == sorted(self.spec.labels)
        if same_classes:  # the base's own label order, so its head (and its accuracy) carry over
            train, val = train.relabel(list(self.spec.labels)), val.relabel(list(self.spec.labels))
        tuned = self._tuned_spec(options.model_name, train.classes, same_classes, data)
        binary = tuned.task is BinaryImageClassifier
        batch_size, rate = options.batch_size or 32, options.learning_rate or 1e-3
        epochs, freeze_epochs, passes = options.schedule(len(train), batch_size)
        freeze_epochs = 0 if options.from_scratch else freeze_epochs
        with Run(tuned.name, options) as run:
            if options.force:
                finetuning.clear_finished(run.dir)
            freeze_epochs = finetuning.settle(
                run, fingerprint=train.fingerprint(), freeze_epochs=freeze_epochs
            )
            model = tuned.build()
            base = None if options.from_scratch else self.spec.load()
            fresh = [] if base is None else finetuning.transfer(base, model, new_head=not same_classes)
            history = finetuning.fit_phases(
                run,
                model,
                ArrayDataset(
                    train.x,
                    train.y,
                    batch_size,
                    seed=seed,
                    augment=getattr(self.spec.recipe, "augment", None),
                    passes=passes,
                ),
                ArrayDataset(val.x, val.y, max(batch_size, 256), shuffle=False),
                epochs=epochs,
                freeze_epochs=freeze_epochs,
                learning_rate=rate,
                loss=_loss(binary),
                metrics=_metrics(binary),
            )
            model = finetuning.best_model(run, tuned.build)
            metrics = tuned.tasks().metrics(model, val.x, val.y)
            base_metrics = self.metrics(base, val.x, val.y) if same_classes and base is not None else None
            settings = {"epochs": epochs, "freeze_epochs": freeze_epochs, "passes_per_epoch": passes,
                        "batch_size": batch_size, "learning_rate": rate, "seed": seed,
                        "from_scratch": base is None, "new_layers": fresh}  # fmt: skip
            record = finetuning.finish(
                run, model, tuned, self.spec, train, val, metrics, base_metrics, settings, history
            )
        return {**finetuning.summary(record, run.dir), "classes": list(tuned.labels)}

    def _tuned_spec(self, name: str, classes: list[str], same_classes: bool, data):
        """The spec of this model fine-tuned on `classes`: one logit for two classes, else one per class."""
        binary = len(classes) == 2
        # the base's threshold was chosen for its own weights: a fine-tuned model decides at 0
        options = {k: v for k, v in self.spec.options.items() if k not in ("positive_label", "threshold")}
        if (
            binary
        ):  # the logit is label 1's; which label is the "positive" finding is the base's if it carries over
            options["positive_label"] = self.spec.options.get("positive_label", 1) if same_classes else 1
        return dataclasses.replace(
            self.spec,
            name=name,
            task=BinaryImageClassifier if binary else ImageClassifier,
            config={**self.spec.config, "outputs": 1 if binary else len(classes)},
            labels=tuple(classes),
            options=options,
            dataset=str(data),
            description=f"{self.name} fine-tuned on {data}: {', '.join(classes)}.",
            input={k: v for k, v in self.spec.input.items() if k != "modality"},
            output=f"logit of {classes[1]} (label 1)"
            if binary
            else "one logit per class (the labels' order)",
        )


def _loss(binary: bool):
    import keras

    if binary:
        return keras.losses.BinaryCrossentropy(from_logits=True)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def binary_logit_metrics() -> list:
    """The metrics binary recipes train with: accuracy at logit 0 and AUC, both from the logit."""
    import keras

    return [
        keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0),
        keras.metrics.AUC(name="auc", from_logits=True),
    ]


def _metrics(binary: bool) -> list:
    import keras

    if binary:
        return [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)]
    return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]


class BinaryImageClassifier(ImageClassifier):
    """Images in, one logit for the positive label (spec.options["positive_label"]) out; accuracy, AUC.

    The decision is label 1 where the logit exceeds a threshold: 0 (probability 0.5) unless the model
    holds the weights that spec.options["threshold"] was chosen for on the validation split
    ({"logit", "weights_sha256"}); retrained or fine-tuned weights decide at 0.
    """

    kind = "binary-classification"

    def threshold(self, model=None) -> float:
        chosen = self.spec.options.get("threshold")
        if chosen and getattr(model, "zoo_weights_sha256", None) == chosen["weights_sha256"]:
            return float(chosen["logit"])
        return 0.0

    def predict(self, model, x, top: int = 3) -> list[dict]:
        """As ImageClassifier.predict, with each image's decision at the model's threshold.

        Example:
            >>> zoo.task("breast_resnet").predict(model, x_test[:1])[0]["decision"]
            {'label': 1, 'threshold': -1.1025, 'name': 'normal or benign'}
        """
        if top < 1:
            raise ValueError(f"--top must be at least 1, got {top}.")
        logits = self.outputs(model, x).reshape(-1, 1)
        results = self._ranked(class_probabilities(logits), top)
        threshold = self.threshold(model)
        for row, logit in zip(results, logits[:, 0], strict=True):
            k = int(logit > threshold)
            decision = {"label": k, "threshold": threshold}
            if self.spec.labels:
                decision["name"] = self.spec.labels[k]
            row["decision"] = decision
        return results

    def metrics(self, model, x, y, data_dir=None, tta: bool = False) -> dict:
        from sklearn.metrics import roc_auc_score

        logits = self.outputs(model, x, tta).reshape(-1)
        both = len(np.unique(y)) == 2  # AUC needs both classes (a user's small set may hold one)
        return {
            "accuracy": float(np.mean((logits > self.threshold(model)) == (y == 1))),
            "auc": float(roc_auc_score(y, logits)) if both else None,
        }
