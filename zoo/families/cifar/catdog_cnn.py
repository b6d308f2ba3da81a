"""catdog_cnn: the seed's binary convnet, Conv(32) -> Conv(64) -> Dense(128) -> Dense(1), on the
CIFAR-10 cat and dog images only (cat = 0, dog = 1).

3x3 ReLU convs with 2x2 max pooling, binary cross-entropy, Adam 1e-3, no augmentation. The last
layer returns the logit; sigmoid gives P(dog) (the seed's Dense(1, sigmoid), with the sigmoid
moved into the loss for numerical stability).
"""

from __future__ import annotations

import keras

from zoo.core import registry
from zoo.core.registry import Recipe
from zoo.families.cifar import _cifar
from zoo.tasks.classification import binary_logit_metrics

CONFIG = registry.get("catdog_cnn").config  # the registration's config: one place


def build(config: dict | None = None) -> keras.Model:
    """Raw uint8 32x32 RGB images -> the logit of "dog"."""
    config = {**CONFIG, **(config or {})}
    images, x = _cifar.inputs_and_standardize()
    for i, filters in enumerate(config["filters"], start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(config["dense"], activation="relu", name="fc1")(x)
    logit = keras.layers.Dense(config["outputs"], name="logit")(x)
    return keras.Model(images, logit, name="catdog_cnn")


RECIPE = Recipe(
    epochs=10,
    batch_size=64,
    optimizer=lambda total_steps: keras.optimizers.Adam(1e-3),
    loss=lambda: keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=binary_logit_metrics,
    notes="the plain recipe: Adam 1e-3, binary cross-entropy, no augmentation, 10 epochs",
)
