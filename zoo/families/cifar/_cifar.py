"""What the CIFAR-10 models share: the input they accept and its standardization."""

from __future__ import annotations

import keras
import numpy as np

# Per-channel pixel mean and std of the CIFAR-10 training images, 0-255 scale.
MEAN = (125.31, 122.95, 113.87)
STD = (62.99, 62.09, 66.70)


def inputs_and_standardize() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The image input and its per-channel standardized float version."""
    images = keras.Input(shape=(32, 32, 3), name="image")
    x = keras.layers.Normalization(mean=MEAN, variance=np.square(STD), name="standardize")(images)
    return images, x


def accuracy():
    return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
