"""The benchmark's hand-written JAX: the zoo's architectures as pure functions of a parameter
tree, one jitted step of jax.value_and_grad plus a hand-written AdamW / Nesterov SGD update."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR_MEAN = jnp.array((125.31, 122.95, 113.87))
CIFAR_STD = jnp.array((62.99, 62.09, 66.70))


def _dense(key, n_in: int, n_out: int, bias: bool = True) -> dict:
    limit = np.sqrt(6 / (n_in + n_out))  # glorot uniform, as Keras
    layer = {"w": jax.random.uniform(key, (n_in, n_out), minval=-limit, maxval=limit)}
    if bias:
        layer["b"] = jnp.zeros(n_out)
    return layer


def _conv(key, c_in: int, c_out: int, size: int = 3) -> jnp.ndarray:
    limit = np.sqrt(6 / (size * size * (c_in + c_out)))
    return jax.random.uniform(key, (size, size, c_in, c_out), minval=-limit, maxval=limit)


def _conv2d(x, kernel, padding="SAME"):
    layout = ("NHWC", "HWIO", "NHWC")
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), padding, dimension_numbers=layout)


def _batch_norm(x, layer, stats, training: bool):
    if training:
        mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
        stats = {"mean": 0.6 * stats["mean"] + 0.4 * mean, "var": 0.6 * stats["var"] + 0.4 * var}
    else:
        mean, var = stats["mean"], stats["var"]
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) + layer["beta"], stats  # no scale, as the zoo's


def mlp_init(key):
    k1, k2 = jax.random.split(key)
    return {"hidden": _dense(k1, 784, 128), "logits": _dense(k2, 128, 10)}, {}


def mlp_apply(params, state, images, training: bool, key):
    x = ((images / 255.0 - MNIST_MEAN) / MNIST_STD).reshape(len(images), -1)
    x = jax.nn.relu(x @ params["hidden"]["w"] + params["hidden"]["b"])
    if training:  # Dropout(0.2)
        x = jnp.where(jax.random.bernoulli(key, 0.8, x.shape), x / 0.8, 0.0)
    return x @ params["logits"]["w"] + params["logits"]["b"], state


WIDTHS = (24, 64, 256, 256)


def cifar_init(key):
    keys = iter(jax.random.split(key, 16))
    params, state = {"groups": [], "head": _dense(next(keys), 256, 10, bias=False)}, {"groups": []}
    for c_in, c_out in zip(WIDTHS[:-1], WIDTHS[1:], strict=True):
        params["groups"].append(
            {
                "conv1": _conv(next(keys), c_in, c_out),
                "conv2": _conv(next(keys), c_out, c_out),
                "bn1": {"beta": jnp.zeros(c_out)},
                "bn2": {"beta": jnp.zeros(c_out)},
            }
        )
        fresh = {"mean": jnp.zeros(c_out), "var": jnp.ones(c_out)}
        state["groups"].append({"bn1": fresh, "bn2": dict(fresh)})
    state["whiten"] = _conv(next(keys), 3, 24, size=2)  # frozen: state, not a parameter
    params["whiten_bias"] = jnp.zeros(24)
    return params, state


def cifar_apply(params, state, images, training: bool, key):
    x = _conv2d((images - CIFAR_MEAN) / CIFAR_STD, state["whiten"], "VALID") + params["whiten_bias"]
    x = jax.nn.gelu(x, approximate=False)
    new_groups = []
    for group, stats in zip(params["groups"], state["groups"], strict=True):
        x = _conv2d(x, group["conv1"])
        x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        x, bn1 = _batch_norm(x, group["bn1"], stats["bn1"], training)
        x = jax.nn.gelu(x, approximate=False)
        x, bn2 = _batch_norm(_conv2d(x, group["conv2"]), group["bn2"], stats["bn2"], training)
        x = jax.nn.gelu(x, approximate=False)
        new_groups.append({"bn1": bn1, "bn2": bn2})
    logits = x.max(axis=(1, 2)) @ params["head"]["w"] / 9.0
    return logits, {**state, "groups": new_groups}


def _cross_entropy(logits, labels, smoothing: float = 0.0):
    log_p = jax.nn.log_softmax(logits)
    true = jnp.take_along_axis(log_p, labels[:, None], axis=-1)[:, 0]
    return jnp.mean(-(1 - smoothing) * true - smoothing * log_p.mean(-1))


def _adamw(params, grads, opt, lr=2e-3, b1=0.9, b2=0.999, eps=1e-7, wd=1e-4):
    t = opt["t"] + 1
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, opt["m"], grads)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, opt["v"], grads)
    scale = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
    params = jax.tree_util.tree_map(
        lambda p, m, v: p - scale * m / (jnp.sqrt(v) + eps) - lr * wd * p, params, m, v
    )
    return params, {"t": t, "m": m, "v": v}


def _nesterov(params, grads, opt, lr=0.1, momentum=0.85):
    m = jax.tree_util.tree_map(lambda m, g: momentum * m - lr * g, opt["m"], grads)
    params = jax.tree_util.tree_map(lambda p, m, g: p + momentum * m - lr * g, params, m, grads)
    return params, {"t": opt["t"] + 1, "m": m}


class Runner:
    """One model: a jitted training step and a jitted inference call on numpy batches."""

    def __init__(self, model_name: str):
        specs = {
            "mnist_mlp": (mlp_init, mlp_apply, _adamw, 0.0),
            "cifar_resnet": (cifar_init, cifar_apply, _nesterov, 0.2),
        }
        if model_name not in specs:
            raise ValueError(f"no hand-written jax version of {model_name!r}.")
        init, apply, update, smoothing = specs[model_name]
        self.params, self.state = init(jax.random.PRNGKey(0))
        zeros = jax.tree_util.tree_map(jnp.zeros_like, self.params)
        self.opt = {"t": 0, "m": zeros, "v": zeros} if update is _adamw else {"t": 0, "m": zeros}
        self.key = jax.random.PRNGKey(1)

        def loss_fn(params, state, x, y, key):
            logits, state = apply(params, state, x, True, key)
            return _cross_entropy(logits, y, smoothing), state

        @jax.jit
        def step(params, state, opt, x, y, key):
            (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, x, y, key)
            params, opt = update(params, grads, opt)
            return params, state, opt, loss

        self._step = step
        self._infer = jax.jit(lambda params, state, x: apply(params, state, x, False, None)[0])

    def tensors(self, x: np.ndarray, y: np.ndarray | None = None):
        x = jnp.asarray(x, dtype="float32")
        return x if y is None else (x, jnp.asarray(y, dtype="int32"))

    def train_step(self, x, y):
        """One update; returns the loss without waiting for it (call float() to synchronize)."""
        self.key, key = jax.random.split(self.key)
        self.params, self.state, self.opt, loss = self._step(self.params, self.state, self.opt, x, y, key)
        return loss

    def infer(self, x):
        return np.asarray(self._infer(self.params, self.state, x))


class TwoTowerScorer:
    """two_tower's scoring by hand, one jitted function of the weights (the zoo model's, from
    harness.two_tower_weights) and dense histories; same interface as raw_torch.TwoTowerScorer."""

    def __init__(self, weights: dict):
        self.w = {k: jnp.asarray(v, dtype="float32") for k, v in weights.items()}

        @jax.jit
        def score(w, history):
            normalize = lambda x: x / jnp.sqrt((x * x).sum(-1, keepdims=True) + 1e-12)  # noqa: E731
            users = normalize(jax.nn.relu(normalize(history) @ w["w1"] + w["b1"]) @ w["w2"] + w["b2"])
            items = normalize(w["embedding"] + w["features"] @ w["projection"] + w["projection_bias"])
            return users @ items.T / w["temperature"] + w["bias"]

        self._score = score

    def tensors(self, history):
        return history.toarray().astype("float32")  # numpy straight into the jitted call, as the zoo's

    def infer(self, history):
        return np.asarray(self._score(self.w, history))
