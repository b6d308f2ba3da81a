"""What the MNIST models share: the input they accept, its rescaling, loss and metrics."""

from __future__ import annotations

import keras

# Train-split pixel mean and std (/255), the widely quoted MNIST constants (checked in SOURCE.md).
MEAN, STD = 0.1307, 0.3081


def inputs_and_standardize() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The image input and its standardized float version: the model owns its preprocessing."""
    images = keras.Input(shape=(28, 28, 1), name="image")
    x = keras.layers.Rescaling(1.0 / (255.0 * STD), offset=-MEAN / STD, name="standardize")(images)
    return images, x


def classification_loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def accuracy():
    return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
