"""mnist_cnn: a small batch-normalized convnet for MNIST digits.

Two 3x3 conv pairs (32 then 64 channels) with max pooling, a 128-unit dense layer, dropout.
Shift augmentation and a warmup + cosine schedule take it past the keras.io convnet's ~99.2%.
"""

from __future__ import annotations

import keras

from zoo.core import augment, registry
from zoo.core.optimizers import adamw_warmup_cosine
from zoo.core.registry import Recipe
from zoo.families.mnist import _mnist

CONFIG = registry.get("mnist_cnn").config  # the registration's config: one place


def _conv_bn(x, filters: int, name: str):
    x = keras.layers.Conv2D(filters, 3, use_bias=False, name=name)(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu")(x)


def build(config: dict | None = None) -> keras.Model:
    """The convnet as a keras.Model taking raw 0-255 MNIST images and returning 10 logits."""
    config = {**CONFIG, **(config or {})}
    images, x = _mnist.inputs_and_standardize()
    for block, filters in enumerate(config["filters"], start=1):
        x = _conv_bn(x, filters, f"conv{block}a")
        x = _conv_bn(x, filters, f"conv{block}b")
        x = keras.layers.MaxPooling2D(name=f"pool{block}")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(config["dense"], use_bias=False, name="dense")(x)
    x = keras.layers.BatchNormalization(name="dense_bn")(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Dropout(config["dropout"])(x)
    logits = keras.layers.Dense(config["outputs"], name="logits")(x)
    return keras.Model(images, logits, name="mnist_cnn")


RECIPE = Recipe(
    epochs=20,
    batch_size=128,
    optimizer=adamw_warmup_cosine(peak=3e-3, weight_decay=5e-4),
    loss=_mnist.classification_loss,
    metrics=_mnist.accuracy,
    augment=augment.random_shift(2),
    notes="random +-2 pixel shifts; AdamW, 5% linear warmup to 3e-3 then cosine decay; weight decay 5e-4",
)
