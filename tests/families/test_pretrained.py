"""Every registered model loads its shipped weights and is as accurate as its card says."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from tests.conftest import requires_full_mnist, sample_threshold
from zoo.core import hub

MNIST_MODELS = ["mnist_mlp", "mnist_cnn"]
# What the foundation issue asks of the shipped weights on the full 10k test split.
REQUIRED_TEST_ACCURACY = {"mnist_mlp": 0.983, "mnist_cnn": 0.994}


def test_list_models_has_the_foundation_models():
    assert {"linear_regression", "mnist_mlp", "mnist_cnn"} <= set(zoo.list_models())
    assert zoo.list_models("mnist_*") == ["mnist_cnn", "mnist_mlp"]


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_loads_pretrained_and_has_a_card(name, backend_name):
    model = zoo.load(name)
    card = zoo.card(name)
    assert card["params"] == model.count_params() > 0
    assert card["weights"]["sha256"] == hub.sha256(hub.weights_path(name))
    assert backend_name in card["metrics"], f"{name} has no metrics measured on {backend_name}"
    assert card["recipe"]["command"].startswith("zoo ")


@pytest.mark.parametrize("name", MNIST_MODELS)
def test_accuracy_on_bundled_sample(name, backend_name, mnist_sample, recorded):
    x, y = mnist_sample
    accuracy = float(np.mean(np.asarray(zoo.load(name).predict(x, verbose=0)).argmax(-1) == y))
    full = recorded(name, backend_name)["accuracy"]
    assert accuracy >= sample_threshold(full, len(y)), (name, accuracy, full)


def test_model_accepts_raw_uint8_with_or_without_channel_axis(mnist_sample):
    x, _ = mnist_sample
    # A fresh model per input form, as a user has: on TensorFlow one model's traced predict
    # function cannot switch input rank between calls (a Keras/TF retracing limitation).
    with_channel = np.asarray(zoo.load("mnist_mlp").predict(x[:8, :, :, None], verbose=0))
    without = np.asarray(zoo.load("mnist_mlp").predict(x[:8], verbose=0))
    as_float = np.asarray(zoo.load("mnist_mlp").predict(x[:8].astype("float32"), verbose=0))
    np.testing.assert_allclose(with_channel, without, atol=1e-6)
    np.testing.assert_allclose(as_float, without, atol=1e-6)


@requires_full_mnist
@pytest.mark.parametrize("name", MNIST_MODELS)
def test_accuracy_on_full_test_split(name, backend_name, recorded):
    result = zoo.task(name).evaluate(zoo.load(name), split="test")
    assert result["n"] == 10_000
    accuracy = result["metrics"]["accuracy"]
    assert accuracy >= REQUIRED_TEST_ACCURACY[name]
    # The same weights must give the card's figure on this backend (numerics may flip a digit or two).
    assert abs(accuracy - recorded(name, backend_name)["accuracy"]) <= 2e-4


def test_linear_regression_matches_closed_form_least_squares(backend_name, recorded):
    result = zoo.task("linear_regression").evaluate(zoo.load("linear_regression"), split="test")
    metrics = result["metrics"]
    assert abs(metrics["mse"] - metrics["ols_mse"]) <= 1e-3 * metrics["ols_mse"]
    assert metrics["mse"] == pytest.approx(recorded("linear_regression", backend_name)["mse"], rel=1e-5)


@pytest.mark.parametrize("name", ["mnist_mlp", "pneumonia_resnet"])
def test_predictor_gives_predict_outputs(name):
    model = zoo.load(name)
    x, _ = zoo.datasets.load_sample(zoo.api.registry.get(name).dataset)
    fast = zoo.predictor(model)
    # float32 sums in another order (predict's batches of 32 vs one of 64): a few ulps of a logit
    close = {"rtol": 1e-6, "atol": 1e-5}
    np.testing.assert_allclose(fast(x[:1]), np.asarray(model.predict(x[:1], verbose=0)), **close)
    np.testing.assert_allclose(fast(x[:64]), np.asarray(model.predict(x[:64], verbose=0)), **close)


@pytest.mark.parametrize("name", ["mnist_mlp", "cifar_resnet"])
def test_the_compiled_predictor_follows_a_weight_change(name):
    """Fine-tuning changes the weights in place: the compiled (on torch: traced) function must see it."""
    model = zoo.load(name)
    x, _ = zoo.datasets.load_sample(zoo.api.registry.get(name).dataset)
    fast = zoo.predictor(model)
    before = fast(x[:8])
    weights = model.get_weights()
    model.set_weights([w * 0.9 for w in weights])
    np.testing.assert_allclose(fast(x[:8]), np.asarray(model.predict(x[:8], verbose=0)), atol=1e-5)
    assert np.abs(fast(x[:8]) - before).max() > 1e-3
    model.set_weights(weights)
    np.testing.assert_allclose(fast(x[:8]), before, atol=1e-6)
