"""The same weights give the same outputs on TensorFlow, JAX and PyTorch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from zoo.core import backend

SCRIPT = """
import sys, numpy as np, zoo
from zoo import datasets
from zoo.families.char_gpt import generation
x_digits, _ = datasets.load_sample("mnist")
x_table, _ = datasets.load("diabetes", "test")
states = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")  # CartPole-like observations
inputs = {"mnist_mlp": x_digits, "mnist_cnn": x_digits, "linear_regression": x_table, "dqn_cartpole": states,
          "pneumonia_resnet": datasets.load_sample("pneumoniamnist")[0],
          "breast_resnet": datasets.load_sample("breastmnist")[0],
          "breast_cifar_resnet": datasets.load_sample("breastmnist")[0],
          "cifar_cnn": datasets.load_sample("cifar10")[0], "cifar_resnet": datasets.load_sample("cifar10")[0],
          "catdog_cnn": datasets.load_sample("cifar10_catdog")[0]}
outputs = {n: np.asarray(zoo.load(n).predict(x, verbose=0)) for n, x in inputs.items()}
lm = zoo.load("char_gpt")
corpus, _ = datasets.load_sample("tinyshakespeare")
outputs["char_gpt"] = np.asarray(lm.predict(lm.tokenizer.encode(corpus[:256])[None], verbose=0))
outputs["char_gpt_greedy"] = np.array(list("".join(generation.generate(lm, "ROMEO:", 40))))
gan = zoo.load("dcgan_mnist")
noise = np.random.default_rng(0).standard_normal((50, gan.latent)).astype("float32")
outputs["dcgan_mnist"] = np.asarray(gan.predict([noise, np.arange(50) % 10], verbose=0))
from zoo.datasets import anime
rated = anime.load_sample().train
users = np.flatnonzero(np.diff(rated.indptr) > 0)[:50]
for name in ("two_tower", "neumf", "mult_vae"):  # scores of every item for 50 sample users
    outputs[name] = zoo.load(name).score(rated[users], users)
from zoo.families.ts_transformer import volatility
from zoo.datasets import prices
for ticker in prices.SAMPLE_TICKERS:  # 300 forecasts per sample asset: variances and next returns
    bars = prices.load(ticker, sample=True)
    outputs["ts_transformer_" + ticker] = volatility.predict(zoo.load("ts_transformer"), bars,
                                                             volatility.forecast_dates(bars)[:300])
np.savez(sys.argv[1], **outputs)
"""

# One pass compares all three backends; `make test` runs the suite once per backend.
pytestmark = pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow", reason="compared once, in the tensorflow pass"
)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parity")
    results = {}
    for name in backend.BACKENDS:
        path = folder / f"{name}.npz"
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(path)],
            env={**__import__("os").environ, "KERAS_BACKEND": name},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{name}: {done.stderr[-2000:]}"
        with np.load(path) as data:
            results[name] = {k: data[k] for k in data.files}
    return results


@pytest.mark.parametrize(
    "model",
    [
        "mnist_mlp",
        "mnist_cnn",
        "linear_regression",
        "dqn_cartpole",
        "pneumonia_resnet",
        "breast_resnet",
        "breast_cifar_resnet",
        "cifar_cnn",
        "cifar_resnet",
        "catdog_cnn",
        "char_gpt",
        "dcgan_mnist",
        "two_tower",
        "neumf",
        "mult_vae",
        "ts_transformer_SPY",
        "ts_transformer_IBM",
    ],
)
@pytest.mark.parametrize("other", ["jax", "torch"])
def test_outputs_agree_with_tensorflow(outputs, model, other):
    reference, candidate = outputs["tensorflow"][model], outputs[other][model]
    if model == "dcgan_mnist":  # images in [-1, 1]
        assert np.abs(reference - candidate).max() <= 1e-4
    elif model in (
        "two_tower",
        "neumf",
        "mult_vae",
    ):  # item scores: same values, same top-10 (up to exact near-ties)
        tolerance = 1e-4 * max(1.0, np.abs(reference).max())
        assert np.abs(reference - candidate).max() <= tolerance
        tenth_best = np.sort(reference, axis=1)[:, -10:-9]
        picked = np.take_along_axis(reference, np.argsort(-candidate, axis=1)[:, :10], axis=1)
        assert (picked >= tenth_best - 2 * tolerance).all()
    elif model.startswith("ts_transformer"):  # variances (%^2) and returns (%): relative to their size
        np.testing.assert_allclose(candidate, reference, rtol=1e-4, atol=1e-6)
    elif model == "char_gpt":  # 256 positions of float32 attention: logits of size ~10 agree to 1e-3
        assert np.abs(reference - candidate).max() <= 1e-3
        np.testing.assert_array_equal(reference.argmax(-1), candidate.argmax(-1))
    elif model != "linear_regression":  # logits and Q-values: same values, same decisions
        assert np.abs(reference - candidate).max() <= 1e-4
        if reference.shape[-1] > 1:
            np.testing.assert_array_equal(reference.argmax(-1), candidate.argmax(-1))
        else:
            np.testing.assert_array_equal(reference > 0, candidate > 0)
    else:  # regression outputs are in the hundreds: compare relative to their size
        np.testing.assert_allclose(candidate, reference, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("other", ["jax", "torch"])
def test_greedy_text_agrees_with_tensorflow(outputs, other):
    assert "".join(outputs[other]["char_gpt_greedy"]) == "".join(outputs["tensorflow"]["char_gpt_greedy"])
