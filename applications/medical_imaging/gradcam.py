"""Grad-CAM (Selvaraju et al. 2017): where in the image the disease score comes from.

The gradient of the disease logit with respect to the last convolutional feature map, averaged
over space, weights each channel; the weighted sum, rectified and scaled to [0, 1], is the
heatmap, upsampled to the image. The gradient goes through `zoo.backend.input_gradient`, so it
runs on every backend.
"""

from __future__ import annotations

import keras
import numpy as np
from PIL import Image

from zoo.core import backend


def feature_layer(model: keras.Model) -> int:
    """The index of the model's last layer with a spatial output (N, h, w, channels): the last
    convolutional feature map (e.g. medmnist_resnet's "last_conv"). The layers after it must form a
    chain (pooling, dropout, dense), as in every MedMNIST classifier of the zoo."""
    spatial = [i for i, layer in enumerate(model.layers) if len(layer.output.shape) == 4]
    if not spatial:
        raise ValueError(f"{model.name} has no convolutional feature map for Grad-CAM to explain.")
    chain = model.layers[spatial[-1] :]
    if any(after.input is not before.output for before, after in zip(chain[:-1], chain[1:], strict=True)):
        raise ValueError(
            f"{model.name}'s layers after its last feature map are not a chain; Grad-CAM needs one."
        )
    return spatial[-1]


def gradcam(model: keras.Model, images: np.ndarray, positive_label: int = 1) -> np.ndarray:
    """Heatmaps in [0, 1] of shape (N, H, W) for the disease score of each image."""
    index = feature_layer(model)
    features_model = keras.Model(model.inputs, model.layers[index].output)
    features = np.asarray(features_model.predict(images, verbose=0))
    head = model.layers[index + 1 :]
    sign = 1.0 if positive_label == 1 else -1.0

    def disease_logit(feature_map):
        x = feature_map
        for layer in head:
            x = layer(x)
        return sign * x

    grads = backend.input_gradient(disease_logit, features)  # (N, h, w, channels)
    weights = grads.mean(axis=(1, 2), keepdims=True)
    cams = np.maximum((weights * features).sum(axis=-1), 0.0)
    height, width = images.shape[1:3]
    cams = np.stack([_resize(cam, (width, height)) for cam in cams])
    peak = cams.max(axis=(1, 2), keepdims=True)  # scaled after upsampling, so each map peaks at 1
    return np.divide(cams, peak, out=np.zeros_like(cams), where=peak > 0)


def _resize(cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray(cam.astype("float32"), mode="F").resize(size, Image.Resampling.BILINEAR)
    return np.maximum(np.asarray(image), 0.0)


def overlay(ax, image: np.ndarray, cam: np.ndarray, title: str = "", color: str = "black") -> None:
    """Draw the grayscale image with the heatmap over it on a matplotlib axis."""
    ax.imshow(image.reshape(image.shape[:2]), cmap="gray")
    ax.imshow(cam, cmap="jet", alpha=0.4, vmin=0, vmax=1)
    ax.set_title(title, fontsize=8, color=color)
    ax.axis("off")
