"""The examples run offline on the pretrained weights, as `make demo` runs them."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tour_writes_the_prediction_grid(tmp_path, backend_name):
    env = {**os.environ, "KERAS_BACKEND": backend_name, "ZOO_DATA_DIR": str(tmp_path / "no-data")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tour.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    png = tmp_path / "mnist_predictions.png"
    assert png.stat().st_size > 10_000
    assert f"Wrote {png.resolve()}" in done.stdout
    for name in ("mnist_mlp", "mnist_cnn"):
        found = re.search(rf"{name}\s+accuracy (\d+\.\d+)%", done.stdout)
        assert found and float(found.group(1)) >= 95.0, done.stdout


def test_cartpole_example_plays_and_records(tmp_path, backend_name):
    env = {**os.environ, "KERAS_BACKEND": backend_name}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "cartpole_dqn.py"), "--episodes", "2"]
        + ["--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"one hand-written episode: return (\d+)", done.stdout)
    assert found and int(found.group(1)) >= 400, done.stdout
    assert (tmp_path / "cartpole.gif").read_bytes()[:6] == b"GIF89a"


def test_medical_imaging_example(tmp_path, backend_name):
    env = {**os.environ, "KERAS_BACKEND": backend_name, "ZOO_DATA_DIR": str(tmp_path / "no-data")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "medical_imaging.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"AUC (\d\.\d+), sensitivity (\d\.\d+)", done.stdout)
    assert found and float(found.group(1)) > 0.9, done.stdout
    assert (tmp_path / "pneumonia_gradcam.png").stat().st_size > 10_000
