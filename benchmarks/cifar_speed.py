"""cifar_cnn and cifar_resnet speed on each backend: training images/s and inference latency.

    python -m benchmarks.cifar_speed --out docs/benchmarks [--steps 4]

Each backend runs in its own process (KERAS_BACKEND is fixed per process). Training: the
recipe's optimizer, loss and batch size, `train_on_batch` on real CIFAR-10 sample images, two
warm-up steps (compilation) excluded, then `--steps` timed steps; the numpy augmentation is
timed apart (it costs the same on every backend). Inference: `predict_on_batch` at batch 1
(median and 95th percentile of 30 calls) and at batch 256 (images/s). Not a test: the table
records the machine it ran on.
"""

import argparse
import os
import platform
from pathlib import Path

from benchmarks.per_backend import measure

MEASURE = """
import json, sys, time
import numpy as np
from zoo.core import backend, registry
from zoo import datasets
steps = int(sys.argv[1])
x_sample, y_sample = datasets.load_sample("cifar10")
rows = []
for name in ("cifar_cnn", "cifar_resnet"):
    spec = registry.get(name)
    recipe = spec.recipe
    reps = -(-recipe.batch_size // len(x_sample))
    x = np.concatenate([x_sample] * reps)[: recipe.batch_size].astype("float32")
    y = np.concatenate([y_sample] * reps)[: recipe.batch_size]
    model = spec.build()
    model.compile(optimizer=recipe.optimizer(1000), loss=recipe.loss())
    for _ in range(2):
        model.train_on_batch(x, y)
    started = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    train_ips = steps * len(x) / (time.perf_counter() - started)
    augment_ms = float("nan")
    if recipe.augment is not None:
        rng = np.random.default_rng(0)
        started = time.perf_counter()
        for _ in range(5):
            recipe.augment(x.astype("uint8"), rng)
        augment_ms = (time.perf_counter() - started) / 5 * 1000
    one = x[:1]
    for _ in range(3):
        model.predict_on_batch(one)
    latencies = []
    for _ in range(30):
        started = time.perf_counter()
        model.predict_on_batch(one)
        latencies.append((time.perf_counter() - started) * 1000)
    big = np.concatenate([x_sample] * 1)[:256].astype("float32")
    model.predict_on_batch(big)
    started = time.perf_counter()
    for _ in range(3):
        model.predict_on_batch(big)
    infer_ips = 3 * len(big) / (time.perf_counter() - started)
    rows.append({
        "model": name, "backend": backend.current(), "batch": recipe.batch_size, "train_ips": train_ips,
        "augment_ms": augment_ms, "b1_p50_ms": float(np.percentile(latencies, 50)),
        "b1_p95_ms": float(np.percentile(latencies, 95)), "b256_ips": infer_ips,
    })
print(json.dumps(rows))
"""

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/benchmarks")
parser.add_argument("--steps", type=int, default=4, help="timed training steps per model and backend")
args = parser.parse_args()

rows = [
    row for name in ("tensorflow", "jax", "torch") for row in measure(name, ["-c", MEASURE, str(args.steps)])
]

lines = [
    "CIFAR-10 training and inference speed per backend (train_on_batch / predict_on_batch, float32).",
    f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}; "
    f"{args.steps} timed training steps after 2 warm-up steps.",
    "",
    "| model | backend | train batch | train (img/s) | vs fastest | infer batch 1 p50 / p95 (ms) | "
    "infer batch 256 (img/s) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
]
for model in ("cifar_cnn", "cifar_resnet"):
    mine = [r for r in rows if r["model"] == model]
    fastest = max(r["train_ips"] for r in mine)
    for r in mine:
        lines.append(
            f"| {model} | {r['backend']} | {r['batch']} | {r['train_ips']:.0f} | "
            f"{r['train_ips'] / fastest:.2f}x | {r['b1_p50_ms']:.1f} / {r['b1_p95_ms']:.1f} | "
            f"{r['b256_ips']:.0f} |"
        )
augment = next(r["augment_ms"] for r in rows if r["model"] == "cifar_resnet")
lines += [
    "",
    f"cifar_resnet's numpy augmentation (flip + reflect-padded translation) costs {augment:.0f} ms per "
    "batch of 512 on every backend, outside the timed step.",
]
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
(out / "cifar_speed.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
