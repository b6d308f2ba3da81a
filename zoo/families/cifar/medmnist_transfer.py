"""breast_cifar_resnet: cifar_resnet's network, started from its shipped CIFAR-10 weights, trained on
BreastMNIST's 546 ultrasound images (transfer learning; the MedMNIST ResNet trained from scratch is
breast_resnet).

The model takes the same 28x28 grayscale images as breast_resnet and makes them what the CIFAR-10
network saw: bilinear resizing to 32x32, the gray channel copied to red, green and blue, CIFAR-10's
per-channel standardization. Every layer after that starts from cifar_resnet's weights except the head,
which has one logit instead of ten. The frozen whitening filters stay CIFAR-10's.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.core import augment, registry
from zoo.core.optimizers import adamw_warmup_cosine
from zoo.core.registry import Recipe
from zoo.families.cifar import _cifar, cifar_resnet
from zoo.tasks.classification import binary_logit_metrics

BASE = "cifar_resnet"  # the registered model whose shipped weights the recipe starts from
CONFIG = registry.get("breast_cifar_resnet").config  # the registration's config: one place


@keras.saving.register_keras_serializable(package="zoo")
class Upsample(keras.layers.Layer):
    """Bilinear resizing to `size` x `size`. Not keras.layers.Resizing: that preprocessing layer makes a
    functional model called directly (`model(x)`, and so a SavedModel export) run BatchNorm in training
    mode (Keras 3.15, TensorFlow backend)."""

    def __init__(self, size: int, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def call(self, x):
        return keras.ops.image.resize(x, (self.size, self.size), interpolation="bilinear")

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def build(config: dict | None = None) -> keras.Model:
    """Raw uint8 28x28 grayscale images -> the logit of label 1."""
    config = {**CONFIG, **(config or {})}
    images = keras.Input(shape=(28, 28, 1), name="image")
    x = Upsample(32, name="resize")(images)
    x = keras.layers.Concatenate(name="rgb")([x, x, x])
    x = keras.layers.Normalization(mean=_cifar.MEAN, variance=np.square(_cifar.STD), name="standardize")(x)
    return cifar_resnet.network(images, x, config, name="breast_cifar_resnet")


def start_from_base(model: keras.Model, x_train=None) -> list[str]:
    """Copy cifar_resnet's shipped weights into every layer of `model` with the same name and shapes;
    returns the names of the layers left as initialised (the head)."""
    base = {layer.name: layer for layer in registry.get(BASE).load().layers}
    fresh = []
    for layer in model.layers:
        source = base.get(layer.name)
        weights = source.get_weights() if source is not None else None
        if weights is not None and [w.shape for w in weights] == [tuple(v.shape) for v in layer.weights]:
            layer.set_weights(weights)
        elif layer.weights:
            fresh.append(layer.name)
    if fresh != ["head"]:  # a renamed layer would silently train from scratch
        raise ValueError(f"{BASE}'s weights left {fresh} fresh; only the head should be.")
    return fresh


BREAST_RECIPE = Recipe(
    epochs=15,
    batch_size=32,
    optimizer=adamw_warmup_cosine(peak=3e-4, weight_decay=5e-4),
    loss=lambda: keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=binary_logit_metrics,
    augment=augment.compose(augment.random_flip(), augment.random_shift(2), augment.random_intensity(0.1)),
    prepare=start_from_base,
    balance_classes=True,
    notes="from cifar_resnet's shipped weights (new one-logit head); balanced class weights; left-right "
    "flips, +-2 px shifts, +-10% contrast/brightness; AdamW, warmup + cosine to 3e-4",
)
