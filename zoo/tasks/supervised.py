"""What every model trained by the shared fit on an array dataset shares: prediction on arrays,
evaluation on a split, and the recipe's training run (zoo.core.training.fit_recipe)."""

from __future__ import annotations

import numpy as np

from zoo import datasets
from zoo.core import backend, inputs
from zoo.tasks.base import Task

SMALL_BATCH = 512


def forward(model, x) -> np.ndarray:
    """Raw outputs of `model` on `x`: a compiled call for a request's few rows (model.predict's per-call
    set-up costs more than a small model: mnist_mlp on one image took 50 ms on TensorFlow against 0.5 ms,
    docs/SERVING.md), model.predict in batches for many."""
    if len(x) > SMALL_BATCH:
        return np.asarray(model.predict(x, batch_size=SMALL_BATCH, verbose=0))
    import keras

    call = getattr(model, "_zoo_inference", None)
    if call is None:  # kept on the model: it goes when the model goes (a cache keyed by it would keep it)
        call = backend.compile_inference(lambda t: model(t, training=False), model, trace=True)
        object.__setattr__(model, "_zoo_inference", call)  # untracked by Keras: not a layer or a weight
    return np.asarray(keras.ops.convert_to_numpy(call(keras.ops.convert_to_tensor(x, "float32"))))


class SupervisedTask(Task):
    """A model of arrays in, arrays out, measured on its dataset's test split."""

    abilities = frozenset({"predict", "evaluate", "train", "export"})
    data_parallel = True  # the shared fit recipe: one device, several, or several processes

    def read_inputs(self, files, invert=None, resize=False, **options):
        """PNG/JPEG/NPY files -> (the array the card asks for, one source label per row).

        Example:
            >>> x, sources = zoo.core.registry.get("mnist_mlp").tasks().read_inputs(["digit.png"])
        """
        return inputs.read_inputs(files, self.spec, invert=invert, resize=resize)

    def outputs(self, model, x, tta: bool = False) -> np.ndarray:
        """Raw model outputs as numpy; with `tta`, averaged with the outputs on mirror images, and
        where the card has `translate_tta` (t pixels), half of that with the mirror average of the
        images moved t pixels up-left and down-right (reflect-padded): airbench's six views."""
        if not tta:
            return forward(model, x)

        def mirrored(images):
            return (forward(model, images) + forward(model, images[:, :, ::-1])) / 2

        out = mirrored(x)
        t = self.spec.options.get("translate_tta", 0)
        if t:
            padded = np.pad(x, ((0, 0), (t, t), (t, t)) + ((0, 0),) * (x.ndim - 3), mode="reflect")
            height, width = x.shape[1:3]
            up_left, down_right = padded[:, :height, :width], padded[:, 2 * t :, 2 * t :]
            out = out / 2 + (mirrored(up_left) + mirrored(down_right)) / 4
        return out

    def metrics(self, model, x, y, data_dir=None, tta: bool = False) -> dict:
        """The task's metrics of `model` on arrays (x, y)."""
        raise NotImplementedError

    def read_labeled(self, data, skip_bad: bool = False):
        """A user's labeled examples (an object with `x` and `y`), for `evaluate(data=...)`."""
        raise self.unsupported("read labeled data")

    def evaluate(
        self, model, *, split=None, limit=None, data_dir=None, sample=False, tta=False, seed=0, data=None
    ):
        """Measure `model` on a split (default test, or val where there is none), on the bundled real
        test sample with `sample=True`, or on a user's labeled `data` (what `read_labeled` reads);
        `tta` averages over left-right flips where allowed (and translations where the card says).

        Example:
            >>> task = zoo.core.registry.get("mnist_cnn").tasks()
            >>> task.evaluate(task.spec.load(), sample=True)["metrics"]
        """
        if tta and not self.spec.options.get("flip_tta"):
            raise ValueError(
                f"{self.name} has no flip test-time augmentation; image models of CIFAR-10 have."
            )
        if data is not None:
            labeled = self.read_labeled(data)
            x, y = (labeled.x[:limit], labeled.y[:limit]) if limit else (labeled.x, labeled.y)
            result = self.record("all", len(x), self.metrics(model, x, y, data_dir=data_dir, tta=tta))
            return {**result, "dataset": str(data), **({"tta": True} if tta else {})}
        if self.spec.dataset not in datasets.available():
            raise ValueError(
                f"{self.name} was trained on {self.spec.dataset}, not a zoo dataset; "
                "pass --data with labeled examples to measure it."
            )
        if split is None:
            split = "test" if "test" in datasets.splits(self.spec.dataset) else "val"
        if sample:
            x, y = datasets.load_sample(self.spec.dataset)
            split = "test-sample"
            if limit is not None:
                x, y = x[:limit], y[:limit]
        else:
            x, y = datasets.load(self.spec.dataset, split, data_dir=data_dir, limit=limit)
            if limit is None:
                split = datasets.split_label(self.spec.dataset, split, len(x))
        result = self.record(split, len(x), self.metrics(model, x, y, data_dir=data_dir, tta=tta))
        return {**result, "tta": True} if tta else result

    def train(self, options) -> dict:
        """The shared fit recipe; measures val (where the dataset has one) and test at the end, or
        the held-out training examples with `options.holdout`."""
        from zoo.core.training import Run, fit_recipe  # keras: imported when training starts

        with Run(self.name, options) as run:
            model, result, holdout = fit_recipe(self.spec, options, run)
            if holdout is not None:
                result["holdout"] = self.metrics(model, *holdout, data_dir=options.data_dir)
            else:
                if "val" in datasets.splits(self.spec.dataset):  # the official validation split, for choices
                    result["val"] = self.evaluate(model, split="val", data_dir=options.data_dir)
                result["test"] = self.evaluate(model, data_dir=options.data_dir)
            return run.finish(model, result)
