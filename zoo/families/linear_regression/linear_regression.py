"""linear_regression: the seed system, a single Dense(1) unit trained by SGD on mean squared error.

Trained on scikit-learn's diabetes data. Features are standardized inside the model by a
Normalization layer adapted on the training split, so the model takes raw features. Full-batch
SGD with momentum on this convex loss converges to the closed-form least-squares solution,
which `zoo eval` reports beside it (ols_mse).
"""

from __future__ import annotations

import keras

from zoo.core import registry
from zoo.core.registry import Recipe

CONFIG = registry.get("linear_regression").config  # the registration's config: one place


def build(config: dict | None = None) -> keras.Model:
    config = {**CONFIG, **(config or {})}
    features = keras.Input(shape=(config["features"],), name="features")
    x = keras.layers.Normalization(axis=-1, name="standardize")(features)
    prediction = keras.layers.Dense(1, name="linear")(x)
    return keras.Model(features, prediction, name="linear_regression")


def adapt(model: keras.Model, x_train) -> None:
    """Standardize with training-split statistics only."""
    model.get_layer("standardize").adapt(x_train)


def optimizer(total_steps: int):
    return keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)


RECIPE = Recipe(
    epochs=20,
    batch_size=1024,  # larger than the 354 training rows: full-batch gradient descent
    optimizer=optimizer,
    loss=keras.losses.MeanSquaredError,
    passes_per_epoch=100,
    prepare=adapt,
    notes="full-batch SGD, learning rate 0.1, momentum 0.9, 2,000 steps",
)
