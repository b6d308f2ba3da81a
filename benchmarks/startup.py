"""Start-up: wall seconds of whole `zoo` commands from a fresh process, as a user types them.

    python -m benchmarks.startup [--repeats 3] [--json]

The light commands import no backend (the architecture issue's goal: well under 1.5 s), so they are
measured once; `zoo predict mnist_mlp` on one digit (import, weights, first compiled call, answer)
is measured per backend. Each figure is the median of `repeats` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")
LIGHT = (("--help",), ("list",), ("info", "mnist_mlp"), ("backends", "--json"))


def seconds(args: list[str], repeats: int, backend_name: str | None = None) -> float:
    """Median wall seconds of `zoo ARGS` (python -m zoo, this interpreter); a failure stops the run."""
    env = dict(os.environ)
    if backend_name:
        env["KERAS_BACKEND"] = backend_name
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "zoo", *args], env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"`zoo {' '.join(args)}` failed:\n{done.stderr[-2000:]}")
    return float(np.median(times))


def digit_png(folder: Path) -> Path:
    """The first test digit of the package's MNIST sample, as a PNG a user would pass."""
    from PIL import Image

    from zoo import datasets

    x, _ = datasets.load_sample("mnist")
    path = folder / "digit.png"
    Image.fromarray(np.asarray(x[0], dtype="uint8")).save(path)
    return path


def measure(repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        png = str(digit_png(Path(folder)))
        return {
            "light": {"zoo " + " ".join(args): seconds(list(args), repeats) for args in LIGHT},
            "predict": {
                b: seconds(["--backend", b, "predict", "mnist_mlp", png], repeats, b) for b in BACKENDS
            },
            "repeats": repeats,
        }


def markdown(figures: dict) -> str:
    lines = [
        "## Start-up: whole commands from a fresh process",
        "",
        f"Wall seconds, median of {figures['repeats']} runs (`python -m benchmarks.startup`).",
        "",
        "| command | backend | seconds |",
        "| --- | --- | ---: |",
    ]
    lines += [f"| `{command}` | none imported | {s:.2f} |" for command, s in figures["light"].items()]
    lines += [f"| `zoo predict mnist_mlp digit.png` | {b} | {s:.2f} |" for b, s in figures["predict"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure(args.repeats)
    print(json.dumps(figures) if args.json else markdown(figures))


if __name__ == "__main__":
    main()
