"""Optimizer factories for recipes: total training steps -> a keras optimizer."""

from __future__ import annotations

import keras
from keras import ops


def adamw_warmup_cosine(peak: float, weight_decay: float, start: float = 1e-4):
    """AdamW whose learning rate rises linearly from `start` to `peak` over the first 5% of
    training, then follows a cosine down to 1% of `peak`."""

    def make(total_steps: int):
        warmup = max(1, total_steps // 20)
        schedule = keras.optimizers.schedules.CosineDecay(
            start, decay_steps=total_steps - warmup, alpha=0.01, warmup_target=peak, warmup_steps=warmup
        )
        return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay)

    return make


@keras.saving.register_keras_serializable(package="zoo")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear rise from 0 to `peak` over the first `warmup` share of steps, then linear fall to 0."""

    def __init__(self, peak: float, total_steps: int, warmup: float = 0.25):
        self.peak, self.total_steps, self.warmup = peak, total_steps, warmup

    def __call__(self, step):
        progress = ops.cast(step, "float32") / self.total_steps
        rising = progress / self.warmup
        falling = (1.0 - progress) / (1.0 - self.warmup)
        return self.peak * ops.clip(ops.minimum(rising, falling), 0.0, 1.0)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup": self.warmup}


def sgd_one_cycle(peak: float, weight_decay: float, momentum: float = 0.9, warmup: float = 0.25):
    """Nesterov SGD on a one-cycle (triangular) schedule, decoupled weight decay."""

    def make(total_steps: int):
        return keras.optimizers.SGD(
            learning_rate=OneCycle(peak, total_steps, warmup),
            momentum=momentum,
            nesterov=True,
            weight_decay=weight_decay,
        )

    return make
