"""The benchmark's hand-written TensorFlow: mnist_mlp and cifar_resnet in raw TF ops (tf.Variables,
tf.nn, a GradientTape step, a hand-written AdamW / Nesterov SGD) and two_tower's scoring, compiled
by tf.function without XLA, as the zoo's TensorFlow path is."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR_MEAN, CIFAR_STD = (125.31, 122.95, 113.87), (62.99, 62.09, 66.70)
MODELS = ("mnist_mlp", "cifar_resnet", "two_tower")
WIDTHS = (24, 64, 256, 256)


def _glorot(rng: np.random.Generator, shape: tuple, fan_in: int, fan_out: int) -> tf.Variable:
    limit = np.sqrt(6 / (fan_in + fan_out))  # glorot uniform, as Keras
    return tf.Variable(rng.uniform(-limit, limit, shape).astype("float32"))


def _conv_kernel(rng, c_in: int, c_out: int, size: int = 3) -> tf.Variable:
    return _glorot(rng, (size, size, c_in, c_out), size * size * c_in, size * size * c_out)


def mlp(rng):
    """mnist_mlp: (trained variables, fixed variables, forward(images, training), variables by name)."""
    params = [_glorot(rng, (784, 128), 784, 128), tf.Variable(tf.zeros(128))]
    params += [_glorot(rng, (128, 10), 128, 10), tf.Variable(tf.zeros(10))]
    seed = tf.random.Generator.from_seed(1)

    def forward(images, training: bool):
        x = tf.reshape((images / 255.0 - MNIST_MEAN) / MNIST_STD, (-1, 784))
        x = tf.nn.relu(x @ params[0] + params[1])
        if training:  # Dropout(0.2)
            x = tf.nn.experimental.stateless_dropout(x, 0.2, seed=seed.make_seeds(1)[:, 0])
        return x @ params[2] + params[3]

    return (
        params,
        [],
        forward,
        dict(zip(("hidden/w", "hidden/b", "logits/w", "logits/b"), params, strict=True)),
    )


def cifar(rng):
    """cifar_resnet: frozen 2x2 whitening conv (trainable bias) -> GELU -> groups 64, 256, 256 of
    conv, max-pool, bias-only BatchNorm (momentum 0.6), GELU, conv, BatchNorm, GELU -> max -> linear / 9."""
    fixed = lambda value: tf.Variable(value, trainable=False)  # noqa: E731  not trained
    whiten, whiten_bias = fixed(_conv_kernel(rng, 3, 24, size=2)), tf.Variable(tf.zeros(24))
    groups, params, stats = [], [whiten_bias], []
    for c_in, c_out in zip(WIDTHS[:-1], WIDTHS[1:], strict=True):
        group = {"conv1": _conv_kernel(rng, c_in, c_out), "conv2": _conv_kernel(rng, c_out, c_out)}
        for bn in ("bn1", "bn2"):
            group[bn] = tf.Variable(tf.zeros(c_out))  # the BatchNorm's bias; no scale, as the zoo's
            group[bn + "_mean"], group[bn + "_var"] = fixed(tf.zeros(c_out)), fixed(tf.ones(c_out))
            params.append(group[bn])
            stats += [group[bn + "_mean"], group[bn + "_var"]]
        params += [group["conv1"], group["conv2"]]
        groups.append(group)
    head = _glorot(rng, (256, 10), 256, 10)
    params.append(head)

    def batch_norm(x, group, bn: str, training: bool):
        if training:
            mean, var = tf.nn.moments(x, axes=[0, 1, 2])
            group[bn + "_mean"].assign(0.6 * group[bn + "_mean"] + 0.4 * mean)
            group[bn + "_var"].assign(0.6 * group[bn + "_var"] + 0.4 * var)
        else:
            mean, var = group[bn + "_mean"], group[bn + "_var"]
        return (x - mean) * tf.math.rsqrt(var + 1e-5) + group[bn]

    def forward(images, training: bool):
        x = tf.nn.conv2d((images - CIFAR_MEAN) / CIFAR_STD, whiten, 1, "VALID") + whiten_bias
        x = tf.nn.gelu(x, approximate=False)
        for group in groups:
            x = tf.nn.max_pool2d(tf.nn.conv2d(x, group["conv1"], 1, "SAME"), 2, 2, "VALID")
            x = tf.nn.gelu(batch_norm(x, group, "bn1", training), approximate=False)
            x = batch_norm(tf.nn.conv2d(x, group["conv2"], 1, "SAME"), group, "bn2", training)
            x = tf.nn.gelu(x, approximate=False)
        return tf.reduce_max(x, axis=[1, 2]) @ head / 9.0

    named = {"whiten": whiten, "whiten_bias": whiten_bias, "head": head}
    named |= {f"groups/{i}/{k}": v for i, group in enumerate(groups) for k, v in group.items()}
    return params, [whiten, *stats], forward, named


class Runner:
    """One model, its optimizer and loss: a compiled training step and inference call on numpy
    batches (same interface as raw_torch.Runner and raw_jax.Runner). `params` are the trained
    variables, `state` the fixed ones (the frozen whitening kernel, BatchNorm's moving statistics),
    `named` all of them by name."""

    def __init__(self, model_name: str):
        if model_name not in ("mnist_mlp", "cifar_resnet"):
            raise ValueError(f"no hand-written tensorflow version of {model_name!r}.")
        rng = np.random.default_rng(0)
        mnist = model_name == "mnist_mlp"
        self.params, self.state, forward, self.named = (mlp if mnist else cifar)(rng)
        self.m = [tf.Variable(tf.zeros_like(p)) for p in self.params]
        self.v = [tf.Variable(tf.zeros_like(p)) for p in self.params] if mnist else []  # AdamW's only
        self.t = tf.Variable(0.0)
        update, smoothing = (self._adamw, 0.0) if mnist else (self._nesterov, 0.2)
        images = tf.TensorSpec((None, 28, 28, 1) if mnist else (None, 32, 32, 3), tf.float32)

        @tf.function(input_signature=[images, tf.TensorSpec((None,), tf.int32)])
        def step(x, y):
            with tf.GradientTape() as tape:
                log_p = tf.nn.log_softmax(forward(x, training=True))
                true = tf.gather(log_p, y, axis=1, batch_dims=1)
                loss = tf.reduce_mean(-(1 - smoothing) * true - smoothing * tf.reduce_mean(log_p, -1))
            update(tape.gradient(loss, self.params))
            return loss

        # The concrete functions, called directly: what a careful hand-written TF program does.
        self._step = step.get_concrete_function()
        self._infer = tf.function(lambda x: forward(x, training=False), input_signature=[images])
        self._infer = self._infer.get_concrete_function()

    def _adamw(self, grads, lr=2e-3, b1=0.9, b2=0.999, eps=1e-7, wd=1e-4):
        self.t.assign_add(1.0)
        scale = lr * tf.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * g * g)
            p.assign(p - scale * m / (tf.sqrt(v) + eps) - lr * wd * p)

    def _nesterov(self, grads, lr=0.1, momentum=0.85):
        for p, g, m in zip(self.params, grads, self.m, strict=True):
            m.assign(momentum * m - lr * g)
            p.assign(p + momentum * m - lr * g)

    def tensors(self, x: np.ndarray, y: np.ndarray | None = None):
        x = tf.convert_to_tensor(np.asarray(x, dtype="float32"))
        return x if y is None else (x, tf.convert_to_tensor(np.asarray(y, dtype="int32")))

    def train_step(self, x, y):
        return self._step(x, y)

    def infer(self, x):
        return self._infer(x).numpy()


class TwoTowerScorer:
    """two_tower's scoring by hand in TF ops, the concrete function of one input signature; `weights`
    are the zoo model's (harness.two_tower_weights). Same interface as raw_torch.TwoTowerScorer."""

    def __init__(self, weights: dict):
        w = {k: tf.Variable(np.asarray(v, dtype="float32")) for k, v in weights.items()}
        self.w = w

        def normalize(x):
            return x / tf.sqrt(tf.reduce_sum(x * x, -1, keepdims=True) + 1e-12)

        @tf.function(input_signature=[tf.TensorSpec((None, w["embedding"].shape[0]), tf.float32)])
        def score(history):
            users = normalize(tf.nn.relu(normalize(history) @ w["w1"] + w["b1"]) @ w["w2"] + w["b2"])
            items = normalize(w["embedding"] + w["features"] @ w["projection"] + w["projection_bias"])
            return tf.matmul(users, items, transpose_b=True) / w["temperature"] + w["bias"]

        self._score = score.get_concrete_function()

    def tensors(self, history):
        return tf.convert_to_tensor(history.toarray().astype("float32"))

    def infer(self, history):
        return self._score(history).numpy()
