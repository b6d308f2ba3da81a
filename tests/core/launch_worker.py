"""One process of the data-parallel checks in test_launch.py (run alone, or by zoo.core.launch).

Trains mnist_mlp without dropout (so one process and two see the same computation) through the
shared fit recipe on a data folder, recording the running loss after every step; then writes
rank<R>.npz (those losses and the final weights) into OUT.

    python -m tests.core.launch_worker DATA_DIR OUT [--distribute]
"""

import dataclasses
import sys
from pathlib import Path

import numpy as np

from zoo.core import backend, launch, registry

backend.start(join="--distribute" in sys.argv)  # joins the process group, as `zoo train` does
import keras  # noqa: E402

from zoo.core.training import Run, TrainOptions, fit_recipe  # noqa: E402

data_dir, out = sys.argv[1], Path(sys.argv[2])
losses = []


class StepLosses(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        losses.append(float(logs["loss"]))


spec = registry.get("mnist_mlp")
# a loss per step on every backend (no steps_per_execution: tensorflow runs steps one by one across
# processes, and jax's groups of 10 steps would log one loss per group)
spec = dataclasses.replace(spec, config={**spec.config, "dropout": 0.0}, compile_options={})
options = TrainOptions(
    epochs=2,
    batch_size=64,
    data_dir=data_dir,
    out_dir=out / "run",
    distribute="data_parallel" if "--distribute" in sys.argv else None,
    verbose=0,
    callbacks=(StepLosses(),),
)
with Run(spec.name, options) as run:
    model, result, _ = fit_recipe(spec, options, run)
    run.finish(model, result)
rank = launch.world().rank
arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
np.savez(out / f"rank{rank}.npz", losses=np.array(losses), **arrays)
