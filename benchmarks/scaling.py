"""Data-parallel scaling on this host: `zoo train` in one process against `zoo launch --nproc N`,
the same recipe, global batch and examples, per backend.

    python -m benchmarks.scaling --model mnist_cnn --limit 12800 --nproc 2 [--backends jax torch tensorflow]

Each run trains 2 epochs; the figure is examples/s of the second (the first pays for compilation).
One process gets all the cores (OMP_NUM_THREADS = cores), each of N processes cores/N. Prints one
JSON object: {backend: {"one": samples/s, "n": samples/s, "speedup": n/one, "efficiency":
speedup/N}}. Needs the model's dataset (ZOO_DATA_DIR or the download cache).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def samples_per_s(backend: str, argv: list[str], out: Path, threads: int) -> float:
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": str(threads)}
    command = [sys.executable, "-m", "zoo", *argv, "--epochs", "2", "--out", str(out), "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["train_examples"] / result["history"]["epoch_seconds"][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mnist_cnn")
    parser.add_argument("--limit", type=int, default=12800)
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--backends", nargs="+", default=["jax", "torch", "tensorflow"])
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    train = ["train", args.model, "--limit", str(args.limit)]
    table = {}
    with tempfile.TemporaryDirectory() as scratch:
        for backend in args.backends:
            one = samples_per_s(backend, train, Path(scratch) / f"{backend}-1", cores)
            launch = ["launch", "--nproc", str(args.nproc), *train]
            many = samples_per_s(backend, launch, Path(scratch) / f"{backend}-n", max(1, cores // args.nproc))
            speedup = many / one
            table[backend] = {
                "one": round(one, 1),
                "n": round(many, 1),
                "speedup": round(speedup, 3),
                "efficiency": round(speedup / args.nproc, 3),
            }
            print(backend, table[backend], file=sys.stderr)
    print(
        json.dumps(
            {"model": args.model, "nproc": args.nproc, "cores": cores, "examples": args.limit, **table}
        )
    )


if __name__ == "__main__":
    main()
