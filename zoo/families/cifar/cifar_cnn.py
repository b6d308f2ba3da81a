"""cifar_cnn: the seed's plain CIFAR-10 convnet, conv(64) -> conv(128) -> fc(1024) -> fc(10).

Reproduced as described, with the choices the description leaves open made plainly: 3x3 ReLU
convs, each followed by max pooling (2x2, then 4x4: with 2x2 the fc(1024) layer alone would hold
8.4M weights, 34 MB, more than half the package budget), no batch norm, no dropout, no
augmentation, Adam at 1e-3 for 20 epochs. It is the baseline cifar_resnet is measured against.
"""

from __future__ import annotations

import keras

from zoo.core import registry
from zoo.core.registry import Recipe
from zoo.families.cifar import _cifar

CONFIG = registry.get("cifar_cnn").config  # the registration's config: one place


def build(config: dict | None = None) -> keras.Model:
    """Raw uint8 32x32 RGB images -> 10 class logits."""
    config = {**CONFIG, **(config or {})}
    images, x = _cifar.inputs_and_standardize()
    for i, (filters, pool) in enumerate(zip(config["filters"], config["pools"], strict=True), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(pool, name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(config["dense"], activation="relu", name="fc1")(x)
    logits = keras.layers.Dense(config["outputs"], name="logits")(x)
    return keras.Model(images, logits, name="cifar_cnn")


RECIPE = Recipe(
    epochs=20,
    batch_size=128,
    optimizer=lambda total_steps: keras.optimizers.Adam(1e-3),
    loss=lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=_cifar.accuracy,
    notes="the plain recipe: Adam 1e-3, no augmentation, no regularization, 20 epochs",
)
