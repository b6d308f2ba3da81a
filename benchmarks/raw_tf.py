"""The benchmark's hand-written TensorFlow: mnist_mlp in raw TF ops (tf.Variables, tf.nn, a
GradientTape step and a hand-written AdamW) and two_tower's scoring, compiled by tf.function
without XLA, as the zoo's TensorFlow path is. The conv net has no TensorFlow version here: its
TensorFlow rows compare with the torch and JAX loops."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
MODELS = ("mnist_mlp", "two_tower")


def _glorot(rng: np.random.Generator, n_in: int, n_out: int) -> tf.Variable:
    limit = np.sqrt(6 / (n_in + n_out))  # glorot uniform, as Keras
    return tf.Variable(rng.uniform(-limit, limit, (n_in, n_out)).astype("float32"))


class Runner:
    """mnist_mlp: a compiled training step and inference call on numpy batches (same interface as
    raw_torch.Runner and raw_jax.Runner)."""

    def __init__(self, model_name: str, lr=2e-3, b1=0.9, b2=0.999, eps=1e-7, wd=1e-4):
        if model_name != "mnist_mlp":
            raise ValueError(f"no hand-written tensorflow version of {model_name!r}.")
        rng = np.random.default_rng(0)
        self.params = [_glorot(rng, 784, 128), tf.Variable(tf.zeros(128)), _glorot(rng, 128, 10)]
        self.params.append(tf.Variable(tf.zeros(10)))
        self.m = [tf.Variable(tf.zeros_like(p)) for p in self.params]
        self.v = [tf.Variable(tf.zeros_like(p)) for p in self.params]
        self.t = tf.Variable(0.0)
        self.seed = tf.random.Generator.from_seed(1)

        def forward(images, training: bool):
            x = tf.reshape((images / 255.0 - MNIST_MEAN) / MNIST_STD, (-1, 784))
            x = tf.nn.relu(x @ self.params[0] + self.params[1])
            if training:  # Dropout(0.2)
                x = tf.nn.experimental.stateless_dropout(x, 0.2, seed=self.seed.make_seeds(1)[:, 0])
            return x @ self.params[2] + self.params[3]

        images = tf.TensorSpec((None, 28, 28, 1), tf.float32)

        @tf.function(input_signature=[images, tf.TensorSpec((None,), tf.int32)])
        def step(x, y):
            with tf.GradientTape() as tape:
                logits = forward(x, training=True)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
            grads = tape.gradient(loss, self.params)
            self.t.assign_add(1.0)
            scale = lr * tf.sqrt(1 - b2**self.t) / (1 - b1**self.t)
            for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
                m.assign(b1 * m + (1 - b1) * g)
                v.assign(b2 * v + (1 - b2) * g * g)
                p.assign(p - scale * m / (tf.sqrt(v) + eps) - lr * wd * p)
            return loss

        # The concrete functions, called directly: what a careful hand-written TF program does.
        self._step = step.get_concrete_function()
        self._infer = tf.function(lambda x: forward(x, training=False), input_signature=[images])
        self._infer = self._infer.get_concrete_function()

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
