"""mnist_mlp: the seed's multilayer perceptron, Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10).

The shape is the classic one; the recipe (shift augmentation, AdamW, cosine decay, longer
training) is what takes it from the classic ~98% to the figure in its card.
"""

from __future__ import annotations

import keras

from zoo.core import augment, registry
from zoo.core.registry import Recipe
from zoo.families.mnist import _mnist

CONFIG = registry.get("mnist_mlp").config  # the registration's config: one place


def build(config: dict | None = None) -> keras.Model:
    """The MLP as a keras.Model taking raw 0-255 MNIST images and returning 10 logits."""
    config = {**CONFIG, **(config or {})}
    images, x = _mnist.inputs_and_standardize()
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(config["hidden"], activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(config["dropout"])(x)
    logits = keras.layers.Dense(config["outputs"], name="logits")(x)
    return keras.Model(images, logits, name="mnist_mlp")


def optimizer(total_steps: int):
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=total_steps, alpha=0.005)
    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4)


RECIPE = Recipe(
    epochs=60,
    batch_size=128,
    optimizer=optimizer,
    loss=_mnist.classification_loss,
    metrics=_mnist.accuracy,
    augment=augment.random_shift(1),
    notes="random +-1 pixel shifts; AdamW 2e-3 cosine-decayed to 1e-5; weight decay 1e-4",
)
