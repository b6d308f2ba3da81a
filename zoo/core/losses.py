"""Losses Keras lacks in the form the recipes need."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy from integer labels and logits with label smoothing.

    The target puts 1 - smoothing on the true class and spreads `smoothing` evenly over all
    classes (Keras's CategoricalCrossentropy convention, without one-hot labels in the data).
    """

    def __init__(self, smoothing: float = 0.1, name: str = "smoothed_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smoothing = smoothing

    def call(self, y_true, y_pred):
        log_probs = ops.log_softmax(y_pred, axis=-1)
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        true_class = ops.take_along_axis(log_probs, labels[:, None], axis=-1)[:, 0]
        return -(1.0 - self.smoothing) * true_class - self.smoothing * ops.mean(log_probs, axis=-1)

    def get_config(self):
        return {**super().get_config(), "smoothing": self.smoothing}
