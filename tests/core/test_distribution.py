"""Data-parallel training on two simulated devices gives the single-device losses.

JAX gets two host devices from XLA_FLAGS, TensorFlow two logical CPUs; each check runs in a fresh
process because both must be configured before the backend starts. The same global batch on 1
and on 2 devices must give the same loss before and after an optimizer step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
import numpy as np
import keras
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from zoo.core import backend, registry
from zoo import datasets

spec = registry.get("mnist_mlp")
x, y = datasets.load_sample("mnist")
x, y = x[:64].astype("float32"), y[:64]


def losses(distributed):
    keras.utils.set_random_seed(0)
    with backend.data_parallel() if distributed else __import__("contextlib").nullcontext() as replicas:
        model = spec.build({"dropout": 0.0})  # no randomness: both runs must match exactly
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=spec.recipe.loss())
        first = float(model.train_on_batch(x, y))
        second = float(model.train_on_batch(x, y))
    return {"devices": replicas.devices if replicas else 1, "losses": [first, second]}


print(json.dumps({"single": losses(False), "parallel": losses(True)}))
"""


def run_on_two_devices(backend_name: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend_name}
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    command = [sys.executable, "-c", SCRIPT]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend_name_", ["jax", "tensorflow"])
def test_two_devices_give_the_single_device_losses(backend_name, backend_name_):
    if backend_name != backend_name_:
        pytest.skip(f"checked in the {backend_name_} pass")
    result = run_on_two_devices(backend_name_)
    assert result["parallel"]["devices"] == 2 and result["single"]["devices"] == 1
    for single, parallel in zip(result["single"]["losses"], result["parallel"]["losses"], strict=True):
        assert parallel == pytest.approx(single, rel=1e-5, abs=1e-6)
    assert result["single"]["losses"][1] < result["single"]["losses"][0]  # the step did something


def test_torch_data_parallel_in_one_process_points_to_zoo_launch(backend_name):
    if backend_name != "torch":
        pytest.skip("the torch pass checks the torch refusal")
    from zoo.core import backend

    with pytest.raises(backend.BackendError, match="zoo launch --nproc N"):
        with backend.data_parallel():
            pass
