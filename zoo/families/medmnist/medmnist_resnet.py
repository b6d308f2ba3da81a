"""pneumonia_resnet and breast_resnet: a small residual CNN for 28x28 MedMNIST binary tasks.

Stem conv(32) -> residual stages of 32, 64 (stride 2) and 128 (stride 2) channels -> global
average pooling -> one logit. The last stage's activation is named "last_conv": the feature map
Grad-CAM explains. Trained with balanced class weights and modality-suited numpy augmentation.
"""

from __future__ import annotations

import keras

from zoo.core import augment, registry
from zoo.core.optimizers import adamw_warmup_cosine
from zoo.core.registry import Recipe
from zoo.tasks.classification import binary_logit_metrics

CONFIG = registry.get("pneumonia_resnet").config  # the registration's config: one place


def _residual(x, filters: int, stride: int, name: str):
    shortcut = x
    y = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(
        x
    )
    y = keras.layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = keras.layers.Activation("relu")(y)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = keras.layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = keras.layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    return keras.layers.Add()([y, shortcut])


def build(config: dict | None = None) -> keras.Model:
    """Raw uint8 28x28 grayscale images -> the logit of label 1."""
    config = {**CONFIG, **(config or {})}
    images = keras.Input(shape=(28, 28, 1), name="image")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(images)
    x = keras.layers.Conv2D(config["stages"][0], 3, padding="same", use_bias=False, name="stem")(x)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("relu")(x)
    for i, filters in enumerate(config["stages"]):
        x = _residual(x, filters, stride=1 if i == 0 else 2, name=f"stage{i + 1}")
        x = keras.layers.Activation("relu", name="last_conv" if i == len(config["stages"]) - 1 else None)(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(config["dropout"])(x)
    logit = keras.layers.Dense(config["outputs"], name="logit")(x)
    return keras.Model(images, logit, name="medmnist_resnet")


def _loss():
    return keras.losses.BinaryCrossentropy(from_logits=True)


PNEUMONIA_RECIPE = Recipe(
    epochs=40,
    batch_size=64,
    optimizer=adamw_warmup_cosine(peak=2e-3, weight_decay=5e-4),
    loss=_loss,
    metrics=binary_logit_metrics,
    augment=augment.compose(augment.random_shift(2), augment.random_intensity(0.1)),
    balance_classes=True,
    notes="balanced class weights; +-2 px shifts and +-10% contrast/brightness (no flips: "
    "chest anatomy is not mirror-symmetric); AdamW, warmup + cosine to 2e-3",
)

BREAST_RECIPE = Recipe(
    epochs=80,
    batch_size=32,
    optimizer=adamw_warmup_cosine(peak=2e-3, weight_decay=5e-4),
    loss=_loss,
    metrics=binary_logit_metrics,
    augment=augment.compose(augment.random_flip(), augment.random_shift(2), augment.random_intensity(0.1)),
    balance_classes=True,
    notes="balanced class weights; left-right flips, +-2 px shifts, +-10% contrast/brightness; "
    "AdamW, warmup + cosine to 2e-3",
)
