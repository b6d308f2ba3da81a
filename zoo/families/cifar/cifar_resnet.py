"""cifar_resnet: a fast airbench-style CNN for CIFAR-10 (the name is the catalogue's; like airbench94
it has no skip connections: at this depth, BN after every conv trains it as fast).

After Keller Jordan's airbench94 (94.01% in ~3 s on an A100): a frozen 2x2 patch-whitening conv
whose filters are the eigenvectors of the training patches' covariance (plus their negatives), then
three conv groups of 64, 256, 256 channels (conv -> max-pool -> BN -> GELU -> conv -> BN -> GELU),
a global max-pool and a bias-free linear head scaled by 1/9. Trained with flips and 2-pixel
reflect-padded translations (numpy), label smoothing 0.2, Nesterov SGD on a one-cycle schedule.
Kept from airbench: the whitening init, widths, head scale, smoothing, augmentation, flip TTA.
Left out: lookahead/EMA, per-parameter learning rates for biases, dirac init, multi-crop TTA.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.core import augment, registry
from zoo.core.losses import SmoothedSparseCrossentropy
from zoo.core.optimizers import sgd_one_cycle
from zoo.core.registry import Recipe
from zoo.families.cifar import _cifar

CONFIG = registry.get("cifar_resnet").config  # the registration's config: one place


def _conv_group(x, filters: int, name: str):
    for i in (1, 2):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        if i == 1:
            x = keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        x = keras.layers.Activation("gelu", name=f"{name}_act{i}")(x)
    return x


def build(config: dict | None = None) -> keras.Model:
    """Raw uint8 32x32 RGB images -> 10 class logits."""
    config = {**CONFIG, **(config or {})}
    images, x = _cifar.inputs_and_standardize()
    whiten = keras.layers.Conv2D(config["whiten_width"], 2, use_bias=False, trainable=False, name="whiten")
    x = keras.layers.Activation("gelu", name="whiten_act")(whiten(x))
    for i, width in enumerate(config["widths"]):
        x = _conv_group(x, width, name=f"group{i + 1}")
    x = keras.layers.GlobalMaxPooling2D(name="pool")(x)
    x = keras.layers.Dense(config["outputs"], use_bias=False, name="head")(x)
    logits = keras.layers.Rescaling(config["head_scale"], name="logits")(x)
    return keras.Model(images, logits, name="cifar_resnet")


def whitening_kernel(images: np.ndarray, n: int = 5_000, eps: float = 5e-4) -> np.ndarray:
    """2x2 conv filters that decorrelate the normalized training patches, and their negatives."""
    x = (images[:n].astype("float32") - np.array(_cifar.MEAN, "float32")) / np.array(_cifar.STD, "float32")
    windows = np.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=(1, 2))  # (n, 31, 31, 3, 2, 2)
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 12).astype("float64")
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(patches, rowvar=False))
    filters = eigenvectors.T / np.sqrt(eigenvalues + eps)[:, None]
    filters = np.concatenate([filters, -filters])  # (24, 12): GELU keeps both signs' information
    return filters.reshape(-1, 2, 2, 3).transpose(1, 2, 3, 0).astype("float32")


def _prepare(model: keras.Model, x_train: np.ndarray) -> None:
    model.get_layer("whiten").kernel.assign(whitening_kernel(x_train))


RECIPE = Recipe(
    epochs=20,
    batch_size=512,
    optimizer=sgd_one_cycle(peak=0.4, weight_decay=5e-3),
    loss=lambda: SmoothedSparseCrossentropy(0.2),
    metrics=_cifar.accuracy,
    augment=augment.compose(augment.random_flip(), augment.random_shift(2, mode="reflect")),
    prepare=_prepare,
    notes="whitening conv from 5,000 training images' 2x2 patches (frozen); flips + 2 px "
    "reflect translations; label smoothing 0.2; Nesterov SGD 0.9, one-cycle to 0.4 at 25%, "
    "decoupled weight decay 5e-3; evaluated with and without flip TTA",
)
