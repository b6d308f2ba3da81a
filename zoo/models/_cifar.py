"""What the CIFAR-10 models share: the input they accept and its standardization."""

from __future__ import annotations

import keras
import numpy as np

from zoo.datasets import cifar10

LABELS = cifar10.LABELS

# Per-channel pixel mean and std of the CIFAR-10 training images, 0-255 scale.
MEAN = (125.31, 122.95, 113.87)
STD = (62.99, 62.09, 66.70)

INPUT = {
    "shape": [32, 32, 3],
    "dtype": "uint8 or float, 0-255 (exactly as the dataset stores it)",
    "color": "RGB",
    "files": "PNG/JPEG of any size; grayscale files are copied to all three channels",
    "resize": "always",  # files are scaled to 32x32 without --resize: photos rarely come that small
}

LICENSE = "Apache-2.0 (code and weights); data: CIFAR-10 (Krizhevsky 2009)"
OUTPUT = "10 logits in the order of zoo.datasets.cifar10.LABELS (softmax gives probabilities)"


def inputs_and_standardize() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The image input and its per-channel standardized float version."""
    images = keras.Input(shape=(32, 32, 3), name="image")
    x = keras.layers.Normalization(mean=MEAN, variance=np.square(STD), name="standardize")(images)
    return images, x


def accuracy():
    return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
