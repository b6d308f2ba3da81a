"""Optimizer factories for recipes: total training steps -> a keras optimizer."""

from __future__ import annotations

import keras


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
