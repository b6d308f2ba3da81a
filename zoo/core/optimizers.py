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
    """Linear rise from `start` x `peak` to `peak` over the first `warmup` share of steps, then a
    linear fall to `end` x `peak` at the last step (both 0 by default: a triangle)."""

    def __init__(
        self, peak: float, total_steps: int, warmup: float = 0.25, start: float = 0.0, end: float = 0.0
    ):
        self.peak, self.total_steps, self.warmup = peak, total_steps, warmup
        self.start, self.end = start, end

    def __call__(self, step):
        progress = ops.cast(step, "float32") / self.total_steps
        rising = self.start + (1.0 - self.start) * progress / self.warmup
        falling = self.end + (1.0 - self.end) * (1.0 - progress) / (1.0 - self.warmup)
        return self.peak * ops.clip(ops.minimum(rising, falling), 0.0, 1.0)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup": self.warmup,
            "start": self.start,
            "end": self.end,
        }


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


@keras.saving.register_keras_serializable(package="zoo")
class AirbenchSGD(keras.optimizers.SGD):
    """Nesterov SGD with what airbench94 adds to it (Jordan 2024, arXiv:2404.00498):

    - `l2`: L2 decay added to every gradient, so that it passes through momentum (torch SGD's
      `weight_decay`, not Keras's decoupled one);
    - `multipliers`: {variable path suffix: gradient scale}, e.g. {"beta": 64.0} trains BatchNorm
      biases at 64x the learning rate (their decay stays that of the other weights);
    - `frozen_after`: {variable path suffix: share of the steps}: trained for that share, then fixed;
    - lookahead: every `lookahead_every` steps the weights move to a running average of themselves,
      slow = d * slow + (1 - d) * w, w = slow, with d = 0.95**5 * progress**3 (no averaging early,
      more towards the end); at the last step the weights become the average.

    Per-variable rules live here rather than in the model, so the model stays plain Keras layers.
    """

    def __init__(
        self,
        learning_rate,
        total_steps: int,
        momentum: float = 0.85,
        l2: float = 0.0,
        multipliers: dict | None = None,
        frozen_after: dict | None = None,
        lookahead_every: int = 5,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=True, **kwargs)
        self.total_steps, self.l2 = total_steps, l2
        self.multipliers, self.frozen_after = dict(multipliers or {}), dict(frozen_after or {})
        self.lookahead_every = lookahead_every

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.slow = [self.add_variable_from_reference(v, "slow") for v in variables]  # set at step 1
        # by variable index: update_step may be handed the backend's variable, which has no path
        self._scale = [_rule(self.multipliers, v.path, 1.0) for v in variables]
        self._until = [_rule(self.frozen_after, v.path, None) for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        step = ops.cast(self.iterations + 1, "float32")  # the step this update completes
        before = ops.copy(variable)  # a copy: torch would alias the variable it updates in place
        gradient = ops.cast(gradient, variable.dtype) * self._scale[index] + self.l2 * before
        super().update_step(gradient, variable, learning_rate)
        if self._until[index] is not None:  # past its share of the steps: its update is undone
            trained = step <= self._until[index] * self.total_steps
            self.assign(variable, ops.where(trained, ops.convert_to_tensor(variable), before))
        if self.lookahead_every:
            slow, now = self.slow[index], ops.copy(variable)
            # the average starts at the initial weights
            start = ops.where(ops.equal(step, 1.0), before, ops.convert_to_tensor(slow))
            due = ops.equal(ops.mod(step, self.lookahead_every), 0)
            average_now = ops.logical_or(due, ops.equal(step, self.total_steps))
            # at the last step, between due steps, the weights become the last average (decay 1)
            decay = ops.where(due, 0.95**5 * ops.minimum(step / self.total_steps, 1.0) ** 3, 1.0)
            averaged = decay * start + (1.0 - decay) * now
            self.assign(slow, ops.where(average_now, averaged, start))
            self.assign(variable, ops.where(average_now, averaged, now))

    def get_config(self):
        config = super().get_config()
        config.pop("nesterov")  # always on
        return {
            **config,
            "total_steps": self.total_steps,
            "l2": self.l2,
            "multipliers": self.multipliers,
            "frozen_after": self.frozen_after,
            "lookahead_every": self.lookahead_every,
        }


def _rule(rules: dict, path: str, default):
    return next((value for suffix, value in rules.items() if path.endswith(suffix)), default)


def airbench_sgd(lr: float, momentum: float, l2: float, multipliers=None, frozen_after=None):
    """AirbenchSGD on airbench94's schedule: 0.2 x lr rising to lr at 23% of the steps, then
    falling to 0.07 x lr."""

    def make(total_steps: int):
        return AirbenchSGD(
            OneCycle(lr, total_steps, warmup=0.23, start=0.2, end=0.07),
            total_steps,
            momentum=momentum,
            l2=l2,
            multipliers=multipliers,
            frozen_after=frozen_after,
        )

    return make
