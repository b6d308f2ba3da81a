"""backend.compile_training: fit with the compiled step trains exactly as Keras's own step does.

On torch the forward pass and loss run as a trace (where its check lets them); on TensorFlow and
JAX fit's step is compiled already and compile_training leaves it alone. Either way the losses
and weights after a few epochs must be Keras's own, from the same seed.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from zoo.core import backend, registry


def _seeded_dropout_mlp() -> keras.Model:
    """Randomness drawn through a Keras seed generator: a trace would fix the mask, so it trains eagerly."""
    images = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(keras.layers.Flatten()(images))
    x = keras.layers.Dropout(0.3, seed=7)(keras.layers.Dense(32, activation="relu")(x))
    return keras.Model(images, keras.layers.Dense(10)(x))


BUILDERS = {
    "mnist_mlp": lambda: registry.get("mnist_mlp").build(),  # dropout through torch's own RNG: traced
    "mnist_cnn": lambda: registry.get("mnist_cnn").build(),  # BatchNorm assigns its statistics: eager
    "seeded_dropout": _seeded_dropout_mlp,
}
TRACED = {"mnist_mlp": True, "mnist_cnn": False, "seeded_dropout": False}


def _fit(build, x, y, compiled: bool):
    keras.utils.set_random_seed(3)
    model = build()
    spec = registry.get("mnist_mlp")
    model.compile(optimizer=spec.recipe.optimizer(40), loss=spec.recipe.loss(), metrics=spec.recipe.metrics())
    if compiled:
        backend.compile_training(model)
    history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    return model, history


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_compiled_training_equals_keras_fit(name, mnist_sample, backend_name):
    x, y = mnist_sample
    x, y = x[:200, ..., None].astype("float32"), y[:200]  # 6 full batches and one of 8: two shapes
    eager, eager_history = _fit(BUILDERS[name], x, y, compiled=False)
    fast, fast_history = _fit(BUILDERS[name], x, y, compiled=True)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(fast_history[key], eager_history[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(fast.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    if backend_name == "torch":
        graphs = fast.train_step.graphs
        assert len(graphs) == 2  # the full batches' shape and the last, smaller one's
        assert all((graph is not None) == TRACED[name] for graph in graphs.values()), graphs
    else:
        assert "train_step" not in vars(fast)  # fit's own compiled step, untouched
