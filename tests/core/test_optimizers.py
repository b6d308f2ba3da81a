"""AirbenchSGD against a numpy replay of its rules, and airbench's alternating flips."""

from __future__ import annotations

import keras
import numpy as np

from zoo.core import augment
from zoo.core.optimizers import OneCycle, airbench_sgd


def _replay(x, t, kernel, bias, steps, lr, momentum, l2, bias_scale, kernel_share):
    """Keras's Nesterov form, the rules applied by hand, full-batch gradients of the mean squared error."""
    params, velocity, slow = {"kernel": kernel, "bias": bias}, {"kernel": 0.0, "bias": 0.0}, None
    slow = {k: v.copy() for k, v in params.items()}
    schedule = OneCycle(lr, steps, warmup=0.23, start=0.2, end=0.07)
    for k in range(1, steps + 1):
        rate = float(keras.ops.convert_to_numpy(schedule(k - 1)))
        error = 2 * (x @ params["kernel"] + params["bias"] - t) / t.size
        grads = {"kernel": x.T @ error, "bias": error.sum(0) * bias_scale}
        for name in params:
            g = grads[name] + l2 * params[name]
            velocity[name] = momentum * velocity[name] - rate * g
            step = momentum * velocity[name] - rate * g
            if not (name == "kernel" and k > kernel_share * steps):
                params[name] = params[name] + step
        due, last = k % 5 == 0, k == steps
        if due or last:
            decay = 0.95**5 * (k / steps) ** 3 if due else 1.0
            for name in params:
                slow[name] = decay * slow[name] + (1 - decay) * params[name]
                params[name] = slow[name].copy()
    return params


def test_airbench_sgd_follows_its_rules_step_by_step():
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d", bias_initializer="ones")])
    kernel, bias = (np.array(v, "float64") for v in model.get_layer("d").get_weights())
    steps = 12
    make = airbench_sgd(0.1, 0.85, 0.05, multipliers={"bias": 3.0}, frozen_after={"kernel": 0.5})
    model.compile(optimizer=make(steps), loss="mse")
    model.fit(x, t, batch_size=8, epochs=steps, shuffle=False, verbose=0)
    want = _replay(x.astype("float64"), t.astype("float64"), kernel, bias, steps, 0.1, 0.85, 0.05, 3.0, 0.5)
    got_kernel, got_bias = model.get_layer("d").get_weights()
    np.testing.assert_allclose(got_kernel, want["kernel"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got_bias, want["bias"], rtol=1e-4, atol=1e-6)
    assert not np.allclose(got_bias, bias)  # it trained


def test_alternating_flip_mirrors_each_image_once_in_two_epochs_whatever_the_batch():
    x = np.arange(6 * 2 * 3, dtype="float32").reshape(6, 2, 3)
    flip = augment.alternating_flip(seed=1)
    even = flip(x, None, rows=np.arange(6), epoch=0)
    odd = flip(x, None, rows=np.arange(6), epoch=1)
    mirrored = [not np.array_equal(a, b) for a, b in zip(even, x, strict=True)]
    assert 0 < sum(mirrored) < 6
    for i in range(6):  # one of the two epochs shows the mirror image
        assert np.array_equal(even[i], x[i, :, ::-1]) != np.array_equal(odd[i], x[i, :, ::-1])
    reordered = flip(x[[4, 1]], None, rows=np.array([4, 1]), epoch=0)
    np.testing.assert_array_equal(reordered, even[[4, 1]])
