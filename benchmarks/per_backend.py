"""Run a measurement in a fresh process per Keras backend (KERAS_BACKEND is fixed per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def measure(backend_name: str, args: list[str]):
    """`python ARGS` with KERAS_BACKEND=backend_name; the JSON its last stdout line prints.

    ARGS is e.g. ["-c", code, ...] or ["-m", "benchmarks.harness", ...]; a failure exits with its stderr.
    """
    print(f"measuring {backend_name} ...", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, *args],
        env={**os.environ, "KERAS_BACKEND": backend_name},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"measuring on {backend_name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
