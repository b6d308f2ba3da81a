"""The benchmark's hand-written loops build the zoo's architectures (same parameter counts) and
train (one step lowers the loss on a repeated batch); its hand-written two_tower scorers give the
zoo's scores; the goals table marks each cell. Speed itself is measured by `make bench`."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from benchmarks import __main__ as report
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
        runner = harness.raw_runner(family)(name)
        return sum(int(np.prod(v.shape)) for v in runner.params + runner.state)
    import jax

    from benchmarks.raw_jax import Runner

    runner = Runner(name)
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves((runner.params, runner.state)))


@pytest.mark.parametrize(
    ("family", "name"),
    [(f, n) for f in ("torch", "jax", "tensorflow") for n in ("mnist_mlp", "cifar_resnet")],
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


@pytest.mark.parametrize("family", ["torch", "jax", "tensorflow"])
def test_hand_written_two_tower_scorers_equal_the_zoo(family, backend_name):
    if backend_name != family:
        pytest.skip(f"checked in the {family} pass")
    from zoo.datasets import anime

    model, history = zoo.load("two_tower"), anime.load_sample().train[:3]
    scorer = harness.raw_scorer(family, model)
    np.testing.assert_allclose(scorer.infer(scorer.tensors(history)), model.score(history), rtol=0, atol=1e-4)


def test_goals_table_marks_each_cell_and_names_what_blocks_it(backend_name):
    if backend_name != "tensorflow":
        pytest.skip("backend-independent: checked in the tensorflow pass")
    figures = {"infer_ms_b1": 1.0, "infer_sps_b256": 1000.0}
    row = {**{f"zoo_{k}": v for k, v in figures.items()}, "zoo_train_sps": 500.0}
    row |= {f"raw_torch_{k}": v for k, v in figures.items()} | {"raw_torch_train_sps": 1000.0}
    cells = report.goal_cells("torch", row)
    assert [met for _, met in cells] == [False, True, True]
    assert cells[0][0] == "0.50 vs raw torch: **not met**"
    scoring = {k: v for k, v in row.items() if "train" not in k}
    assert report.goal_cells("torch", scoring)[0] == ("not a goal (scoring only)", None)
    lines = report.blocker_lines({"mnist_mlp": {"torch": row}, "two_tower": {"torch": scoring}})
    assert len(lines) == 1 and lines[0].startswith("- **mnist_mlp on torch** (training): Keras's per-step")


def test_hand_written_tensorflow_cifar_net_equals_the_jax_one(backend_name):
    """Same weights in, same logits, loss, updated weights and BatchNorm statistics out after a step:
    the raw TensorFlow conv net is the raw JAX one (both NHWC / HWIO), not only the same size."""
    if backend_name != "tensorflow":
        pytest.skip("backend-independent: checked in the tensorflow pass")
    import jax

    from benchmarks import raw_jax, raw_tf

    jx, tf_runner = raw_jax.Runner("cifar_resnet"), raw_tf.Runner("cifar_resnet")

    def jax_named(runner) -> dict:
        p, s = runner.params, runner.state
        named = {"whiten": s["whiten"], "whiten_bias": p["whiten_bias"], "head": p["head"]["w"]}
        for i, (group, stats) in enumerate(zip(p["groups"], s["groups"], strict=True)):
            named |= {f"groups/{i}/conv1": group["conv1"], f"groups/{i}/conv2": group["conv2"]}
            for bn in ("bn1", "bn2"):
                named[f"groups/{i}/{bn}"] = group[bn]["beta"]
                named[f"groups/{i}/{bn}_mean"], named[f"groups/{i}/{bn}_var"] = (
                    stats[bn]["mean"],
                    stats[bn]["var"],
                )
        return {k: np.asarray(v) for k, v in named.items()}

    start = jax_named(jx)
    assert set(start) == set(tf_runner.named)
    for name, value in start.items():
        tf_runner.named[name].assign(value)
    x, y = harness.batches("cifar_resnet", steps=1, batch=16)
    np.testing.assert_allclose(tf_runner.infer(tf_runner.tensors(x)), jx.infer(jx.tensors(x)), atol=1e-4)
    losses = float(tf_runner.train_step(*tf_runner.tensors(x, y))), float(jx.train_step(*jx.tensors(x, y)))
    np.testing.assert_allclose(*losses, rtol=1e-4)
    jax.block_until_ready(jx.params)
    after = jax_named(jx)
    for name, value in after.items():
        assert not np.allclose(value, start[name]) or "whiten" == name, f"{name} did not change"
        np.testing.assert_allclose(tf_runner.named[name].numpy(), value, atol=2e-4, err_msg=name)
