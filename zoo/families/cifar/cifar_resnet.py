"""cifar_resnet: a fast airbench-style CNN for CIFAR-10 (the name is the catalogue's; like airbench94
it has no skip connections: at this depth, BN after every conv trains it as fast).

After Keller Jordan's airbench94 (94.01% in 9.9 epochs, ~3.8 s on an A100), recipe and all: a
frozen 2x2 patch-whitening conv whose filters are the eigenvectors of the training patches'
covariance (plus their negatives) with a bias trained for the first 30% of the steps, then three
conv groups of 64, 256, 256 channels (conv -> max-pool -> BN -> GELU -> conv -> BN -> GELU; the
convs start as identities on their first channels, BatchNorm has no scale and momentum 0.6), a
global max-pool and a bias-free linear head scaled by 1/9. Trained 10 epochs at batch 1024 with
alternating flips (every image mirrored every other epoch) and 2-pixel reflect-padded translations
(numpy), label smoothing 0.2, Nesterov SGD (momentum 0.85, L2 through the momentum, BatchNorm
biases at 64x the learning rate) with lookahead averaging; tested with mirror + 1-pixel translation
TTA. Left out: airbench's fp16 and its averaging of the BatchNorm statistics in lookahead.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.core import augment, registry
from zoo.core.losses import SmoothedSparseCrossentropy
from zoo.core.optimizers import airbench_sgd
from zoo.core.registry import Recipe
from zoo.families.cifar import _cifar

CONFIG = registry.get("cifar_resnet").config  # the registration's config: one place


@keras.saving.register_keras_serializable(package="zoo")
class PartialIdentity(keras.initializers.Initializer):
    """A 3x3 conv kernel whose first min(in, out) filters pass their input channel through unchanged
    (torch's dirac_); the other filters are uniform in +-1/sqrt(fan_in), torch's default conv init."""

    def __call__(self, shape, dtype=None):
        height, width, channels_in, channels_out = shape
        bound = 1.0 / np.sqrt(height * width * channels_in)
        kernel = keras.initializers.RandomUniform(-bound, bound)(shape, dtype)
        n = min(channels_in, channels_out)
        identity = np.zeros(shape, "float32")
        identity[height // 2, width // 2, np.arange(n), np.arange(n)] = 1.0
        passes_through = np.arange(channels_out) < n
        return keras.ops.where(passes_through, keras.ops.cast(identity, kernel.dtype), kernel)


@keras.saving.register_keras_serializable(package="zoo")
class ChannelBias(keras.layers.Layer):
    """A trainable bias per channel (the frozen whitening conv's own bias would freeze with it)."""

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, x):
        return x + self.bias


def _conv_group(x, filters: int, name: str, bn_momentum: float):
    for i in (1, 2):
        x = keras.layers.Conv2D(
            filters,
            3,
            padding="same",
            use_bias=False,
            kernel_initializer=PartialIdentity(),
            name=f"{name}_conv{i}",
        )(x)
        if i == 1:
            x = keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
        norm = keras.layers.BatchNormalization(
            momentum=bn_momentum, epsilon=1e-5, scale=False, name=f"{name}_bn{i}"
        )
        x = norm(x)
        x = keras.layers.Activation("gelu", name=f"{name}_act{i}")(x)
    return x


def build(config: dict | None = None) -> keras.Model:
    """Raw uint8 32x32 RGB images -> 10 class logits."""
    images, x = _cifar.inputs_and_standardize()
    return network(images, x, {**CONFIG, **(config or {})}, name="cifar_resnet")


def network(images, x, config: dict, name: str) -> keras.Model:
    """The model from `images` whose standardized 32x32 RGB version is `x`: whitening, the conv groups,
    the head (medmnist_transfer.py puts its own front before it)."""
    whiten = keras.layers.Conv2D(config["whiten_width"], 2, use_bias=False, trainable=False, name="whiten")
    x = ChannelBias(name="whiten_bias")(whiten(x))
    x = keras.layers.Activation("gelu", name="whiten_act")(x)
    for i, width in enumerate(config["widths"]):
        x = _conv_group(x, width, name=f"group{i + 1}", bn_momentum=config["bn_momentum"])
    x = keras.layers.GlobalMaxPooling2D(name="pool")(x)
    bound = 1.0 / np.sqrt(config["widths"][-1])  # torch's default Linear init, as airbench has it
    head_init = keras.initializers.RandomUniform(-bound, bound)
    x = keras.layers.Dense(config["outputs"], use_bias=False, kernel_initializer=head_init, name="head")(x)
    logits = keras.layers.Rescaling(config["head_scale"], name="logits")(x)
    return keras.Model(images, logits, name=name)


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


# airbench94's hyperparameters per 1024 examples (lr 11.5, weight decay 0.0153 for a summed loss,
# Nesterov momentum 0.85) in the form of a mean loss: lr 11.5 / (1 + 1 / (1 - 0.85)) = 1.5, and an L2
# term whose step, lr x l2 = 0.0153 / (1 + 1 / 0.15) = 0.0020, is the same for every weight.
LR, MOMENTUM = 1.5, 0.85
L2 = 0.0153 / (1 + 1 / (1 - MOMENTUM)) / LR

RECIPE = Recipe(
    epochs=10,
    batch_size=1024,
    optimizer=airbench_sgd(
        LR, MOMENTUM, L2, multipliers={"beta": 64.0}, frozen_after={"whiten_bias/bias": 0.3}
    ),
    loss=lambda: SmoothedSparseCrossentropy(0.2),
    metrics=_cifar.accuracy,
    augment=augment.compose(augment.alternating_flip(), augment.random_shift(2, mode="reflect")),
    prepare=_prepare,
    notes="airbench94's recipe: whitening conv from 5,000 training images' 2x2 patches (frozen, its "
    "bias trained for 30% of the steps); identity-initialised convs; alternating flips + 2 px reflect "
    "translations; label smoothing 0.2; Nesterov SGD 0.85, lr 1.5 (0.2x -> 1x at 23% -> 0.07x), L2 "
    "step 0.002 through the momentum, BatchNorm biases at 64x; lookahead every 5 steps; evaluated "
    "with and without mirror + translate TTA",
)
