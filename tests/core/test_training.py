"""Training: the recipe runs, checkpoints each epoch, resumes after a kill, and is seeded."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import zoo
from zoo.core import hub, training


class StopAfterFirstEpoch(keras.callbacks.Callback):
    """Simulates a kill right after epoch 1 was checkpointed."""

    def on_epoch_end(self, epoch, logs=None):
        self.weights = [np.array(w) for w in self.model.get_weights()]
        raise KeyboardInterrupt("killed after epoch 1")


class RecordStart(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = [np.array(w) for w in self.model.get_weights()]
        self.iterations = int(np.asarray(self.model.optimizer.iterations))

    def on_epoch_begin(self, epoch, logs=None):
        self.__dict__.setdefault("epochs", []).append(epoch)


def test_one_epoch_writes_weights_that_load_back(tmp_path, tiny_mnist_dir, mnist_sample):
    result = zoo.train("mnist_mlp", epochs=1, out_dir=tmp_path / "run", data_dir=tiny_mnist_dir, verbose=0)
    weights = tmp_path / "run" / "mnist_mlp.weights.h5"
    assert result["weights"] == str(weights) and result["sha256"] == hub.sha256(weights)
    assert result["test"]["n"] == 100 and 0.0 <= result["test"]["metrics"]["accuracy"] <= 1.0
    record = json.loads((tmp_path / "run" / "mnist_mlp.metrics.json").read_text())
    assert record["history"]["loss"] == result["history"]["loss"]
    reloaded = zoo.load("mnist_mlp", weights=weights)
    x, y = mnist_sample
    accuracy = float(np.mean(np.asarray(reloaded.predict(x[400:], verbose=0)).argmax(-1) == y[400:]))
    assert accuracy == pytest.approx(result["test"]["metrics"]["accuracy"])


def test_interrupted_run_resumes_at_epoch_two_with_epoch_one_state(tmp_path, tiny_mnist_dir):
    run_dir = tmp_path / "run"
    killer = StopAfterFirstEpoch()
    with pytest.raises(KeyboardInterrupt):
        zoo.train(
            "mnist_mlp",
            epochs=2,
            out_dir=run_dir,
            data_dir=tiny_mnist_dir,
            verbose=0,
            callbacks=[killer],
        )
    state = training.last_checkpoint(run_dir / "checkpoint")
    assert state["epoch"] == 1
    first_loss = state["history"]["loss"][0]

    with pytest.raises(FileExistsError, match="--resume"):
        zoo.train("mnist_mlp", epochs=2, out_dir=run_dir, data_dir=tiny_mnist_dir, verbose=0)

    start = RecordStart()
    result = zoo.train(
        "mnist_mlp",
        epochs=2,
        out_dir=run_dir,
        data_dir=tiny_mnist_dir,
        resume=True,
        verbose=0,
        callbacks=[start],
    )
    assert start.epochs == [1]  # only epoch 2 ran
    steps_per_epoch = int(np.ceil(400 / 128))
    assert start.iterations == steps_per_epoch  # optimizer state (and schedule) carried over
    for restored, expected in zip(start.weights, killer.weights, strict=True):
        np.testing.assert_array_equal(restored, expected)
    assert result["history"]["loss"][0] == first_loss and len(result["history"]["loss"]) == 2


def test_same_seed_gives_same_first_epoch_loss(tmp_path, tiny_mnist_dir):
    losses = [
        zoo.train(
            "mnist_mlp",
            epochs=1,
            out_dir=tmp_path / f"run{i}",
            data_dir=tiny_mnist_dir,
            seed=7,
            verbose=0,
        )["history"]["loss"][0]
        for i in range(2)
    ]
    assert losses[0] == losses[1]


def test_linear_regression_recipe_reaches_least_squares(tmp_path):
    result = zoo.train("linear_regression", out_dir=tmp_path / "run", verbose=0)
    metrics = result["test"]["metrics"]
    assert abs(metrics["mse"] - metrics["ols_mse"]) <= 1e-3 * metrics["ols_mse"]


def test_augmentation_is_seeded_by_epoch_and_batch(mnist_sample):
    x, y = mnist_sample
    spec = zoo.api.registry.get("mnist_cnn")
    data = training.ArrayDataset(x, y, 64, seed=3, augment=spec.recipe.augment)
    first = data[2][0]
    np.testing.assert_array_equal(first, data[2][0])
    data.on_epoch_end()
    assert not np.array_equal(first, data[2][0])


def test_a_resumed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path, tiny_mnist_dir):
    """Weights, optimizer, data order and the dropout generators' state all continue exactly."""
    whole = zoo.train("mnist_mlp", epochs=2, out_dir=tmp_path / "whole", data_dir=tiny_mnist_dir, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        zoo.train(
            "mnist_mlp",
            epochs=2,
            out_dir=tmp_path / "split",
            data_dir=tiny_mnist_dir,
            verbose=0,
            callbacks=[StopAfterFirstEpoch()],
        )
    resumed = zoo.train(
        "mnist_mlp", epochs=2, out_dir=tmp_path / "split", data_dir=tiny_mnist_dir, resume=True, verbose=0
    )
    assert resumed["history"]["loss"] == whole["history"]["loss"]
    a = zoo.load("mnist_mlp", weights=whole["weights"]).get_weights()
    b = zoo.load("mnist_mlp", weights=resumed["weights"]).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_force_starts_again_in_a_folder_with_a_checkpoint(tmp_path, tiny_mnist_dir):
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        zoo.train(
            "mnist_mlp", epochs=2, out_dir=run_dir, data_dir=tiny_mnist_dir, verbose=0,
            callbacks=[StopAfterFirstEpoch()],
        )  # fmt: skip
    with pytest.raises(ValueError, match="give one of them"):
        zoo.train("mnist_mlp", epochs=2, out_dir=run_dir, resume=True, force=True)
    start = RecordStart()
    result = zoo.train(
        "mnist_mlp",
        epochs=2,
        out_dir=run_dir,
        data_dir=tiny_mnist_dir,
        verbose=0,
        force=True,
        callbacks=[start],
    )
    assert start.epochs == [0, 1] and start.iterations == 0 and len(result["history"]["loss"]) == 2
