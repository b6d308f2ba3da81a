"""The examples run offline on the pretrained weights, as `make demo` runs them."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_example(script: str, tmp_path: Path, backend_name: str, *args: str) -> str:
    """Run examples/<script> offline (no dataset folder) on this backend; returns its stdout."""
    env = {**os.environ, "KERAS_BACKEND": backend_name, "ZOO_DATA_DIR": str(tmp_path / "no-data")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--out", str(tmp_path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_tour_writes_the_prediction_grid(tmp_path, backend_name):
    out = run_example("tour.py", tmp_path, backend_name)
    png = tmp_path / "mnist_predictions.png"
    assert png.stat().st_size > 10_000
    assert f"Wrote {png.resolve()}" in out
    assert (tmp_path / "cifar_predictions.png").stat().st_size > 10_000
    for name, least in (("mnist_mlp", 95.0), ("mnist_cnn", 95.0), ("cifar_resnet", 85.0)):
        found = re.search(rf"{name}\s+accuracy (\d+\.\d+)%", out)
        assert found and float(found.group(1)) >= least, out


def test_cartpole_example_plays_and_records(tmp_path, backend_name):
    out = run_example("cartpole_dqn.py", tmp_path, backend_name, "--episodes", "2")
    found = re.search(r"one hand-written episode: return (\d+)", out)
    assert found and int(found.group(1)) >= 400, out
    assert (tmp_path / "cartpole.gif").read_bytes()[:6] == b"GIF89a"


def test_medical_imaging_example(tmp_path, backend_name):
    out = run_example("medical_imaging.py", tmp_path, backend_name)
    found = re.search(r"AUC (\d\.\d+), sensitivity (\d\.\d+)", out)
    assert found and float(found.group(1)) > 0.9, out
    assert (tmp_path / "pneumonia_gradcam.png").stat().st_size > 10_000


def test_generate_shakespeare_example(tmp_path, backend_name):
    out = run_example("generate_shakespeare.py", tmp_path, backend_name, "--max-new", "40")
    assert out.count("--- ") == 3 and (tmp_path / "samples.txt").stat().st_size > 3 * 40


def test_gan_digits_example(tmp_path, backend_name):
    out = run_example("gan_digits.py", tmp_path, backend_name, "--n", "200")
    found = re.search(r"class agreement (\d+\.\d)% on 200 samples", out)
    assert found and float(found.group(1)) >= 80.0, out
    assert (tmp_path / "digits.png").stat().st_size > 5_000


def test_recommendation_example(tmp_path, backend_name):
    out = run_example("recommendation.py", tmp_path, backend_name)
    ndcg = dict(re.findall(r"(\w+): NDCG@10 (\d\.\d+)", out))
    assert float(ndcg["two_tower"]) > float(ndcg["popularity"]), out
    assert out.count("(because you like") == 5
    assert (tmp_path / "recommended_popularity.png").stat().st_size > 10_000


def test_finance_example(tmp_path, backend_name):
    out = run_example("finance_forecast.py", tmp_path, backend_name)
    found = dict(re.findall(r"(\w+): QLIKE (-?\d\.\d+)", out))
    assert set(found) == {"naive", "ewma", "garch", "har", "ts_transformer"}, out
    assert float(found["ts_transformer"]) < float(found["naive"]), out
    assert (tmp_path / "SPY_forecast.png").stat().st_size > 10_000
