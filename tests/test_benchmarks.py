"""The benchmark's hand-written loops build the zoo's architectures (same parameter counts) and
train (one step lowers the loss on a repeated batch). Speed itself is measured by `make bench`."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from benchmarks import harness


def keras_size(name: str) -> int:
    """Weights of the zoo model, without the fixed input-standardization constants."""
    spec = zoo.api.registry.get(name)
    layers = [layer for layer in spec.build(spec.config).layers if layer.name != "standardize"]
    return sum(int(np.prod(v.shape)) for layer in layers for v in layer.weights)


def raw_size(family: str, name: str) -> int:
    if family == "torch":
        from benchmarks.raw_torch import Runner

        module = Runner(name).model
        tensors = list(module.parameters()) + [b for n, b in module.named_buffers() if "running" in n]
        return sum(t.numel() for t in tensors)
    if family == "tensorflow":
        return sum(int(np.prod(p.shape)) for p in harness.raw_runner(family)(name).params)
    import jax

    from benchmarks.raw_jax import Runner

    runner = Runner(name)
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves((runner.params, runner.state)))


@pytest.mark.parametrize(
    ("family", "name"),
    [(f, n) for f in ("torch", "jax") for n in ("mnist_mlp", "cifar_resnet")] + [("tensorflow", "mnist_mlp")],
)
def test_hand_written_loops_match_the_zoo_architecture_and_learn(family, name, backend_name):
    if backend_name != family:  # the raw loops do not depend on KERAS_BACKEND: check each once
        pytest.skip(f"checked in the {family} pass")
    assert raw_size(family, name) == keras_size(name)
    runner = harness.raw_runner(family)(name)
    x, y = harness.batches(name, steps=1, batch=32)
    xb, yb = runner.tensors(x, y)
    losses = [float(runner.train_step(xb, yb)) for _ in range(4)]
    assert np.isfinite(losses).all() and losses[-1] < losses[0], losses
    assert runner.infer(runner.tensors(x[:2])).shape == (2, 10)
