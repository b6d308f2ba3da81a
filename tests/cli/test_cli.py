"""The `zoo` command line: what a user types, and one clear sentence when it is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from zoo.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_sentence_error(code, err, *needles):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture
def digit_png(tmp_path, mnist_sample):
    x, y = mnist_sample
    path = tmp_path / "digit.png"
    Image.fromarray(x[0]).save(path)
    return path, int(y[0])


def test_list_json(capsys):
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert code == 0
    assert {r["name"] for r in rows} >= {"mnist_mlp", "mnist_cnn", "linear_regression"}
    assert all({"task", "dataset", "params", "metrics"} <= set(r) for r in rows)


def test_list_text_and_info(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "mnist_cnn" in out
    code, out, _ = run(capsys, "info", "mnist_mlp")
    assert code == 0 and "white digit on black" in out and "sha256" in out
    code, out, _ = run(capsys, "info", "mnist_mlp", "--json")
    assert json.loads(out)["dataset"] == "mnist"


def test_predict_png_and_inverted_jpeg(capsys, tmp_path, digit_png, mnist_sample):
    path, label = digit_png
    code, out, _ = run(capsys, "predict", "mnist_cnn", str(path), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["predictions"][0]["top"][0]["label"] == label
    # The same digit drawn dark on light (as on paper) is detected and inverted.
    inverted = tmp_path / "paper.jpg"
    Image.fromarray(255 - mnist_sample[0][0]).save(inverted, quality=95)
    code, out, _ = run(capsys, "predict", "mnist_cnn", str(inverted), "--json")
    assert json.loads(out)["predictions"][0]["top"][0]["label"] == label
    code, out, _ = run(capsys, "predict", "mnist_mlp", str(path), "--top", "2")
    assert code == 0 and out.startswith(f"{path}[0]: {label} (")


def test_predict_npy_batch_and_resize(capsys, tmp_path, mnist_sample):
    x, y = mnist_sample
    batch = tmp_path / "batch.npy"
    np.save(batch, x[:5])
    code, out, _ = run(capsys, "predict", "mnist_cnn", str(batch), "--json")
    predicted = [p["top"][0]["label"] for p in json.loads(out)["predictions"]]
    assert code == 0 and predicted == y[:5].tolist()
    big = tmp_path / "big.png"
    Image.fromarray(x[1]).resize((56, 56), Image.Resampling.NEAREST).save(big)
    code, out, _ = run(capsys, "predict", "mnist_cnn", str(big), "--resize", "--json")
    assert code == 0 and json.loads(out)["predictions"][0]["top"][0]["label"] == int(y[1])


def test_eval_json_on_sample(capsys, backend_name):
    code, out, _ = run(capsys, "eval", "mnist_mlp", "--sample", "--limit", "100", "--json")
    assert code == 0
    assert len(out.strip().splitlines()) == 1  # exactly one JSON object on stdout
    result = json.loads(out)
    assert set(result) == {"model", "backend", "dataset", "split", "n", "metrics"}
    assert result["backend"] == backend_name and result["n"] == 100
    assert 0.9 < result["metrics"]["accuracy"] <= 1.0


def test_eval_regression_json(capsys):
    code, out, _ = run(capsys, "eval", "linear_regression", "--json")
    assert code == 0
    assert set(json.loads(out)["metrics"]) == {"mse", "ols_mse"}


def test_backends(capsys):
    code, out, _ = run(capsys, "backends", "--json")
    rows = {r["backend"]: r for r in json.loads(out)["backends"]}
    assert code == 0 and all(rows[b]["installed"] for b in ("tensorflow", "jax", "torch"))


@pytest.mark.parametrize(
    "argv, needles",
    [
        (["info", "resnet9000"], ["unknown model 'resnet9000'", "mnist_mlp"]),
        (["--backend", "theano", "list"], ["invalid choice: 'theano'"]),
        (["predict", "mnist_mlp", "no/such/file.png"], ["no/such/file.png does not exist"]),
        (["eval", "mnist_mlp", "--split", "validation"], ["no split 'validation'"]),
        (["eval", "mnist_mlp", "--sample", "--limit", "0"], ["--limit: 0 is out of range (1 to"]),
        (["predict", "mnist_mlp"], ["required"]),
        (["train", "mnist_mlp", "--epochs", "many"], ["'many' is not a whole number"]),
        (["predict", "char_gpt", "x.png"], ["use `zoo generate char_gpt`"]),
        (["generate", "mnist_mlp"], ["does not generate", "char_gpt, dcgan_mnist"]),
    ],
)
def test_bad_arguments(capsys, argv, needles):
    code, _, err = run(capsys, *argv)
    assert_one_sentence_error(code, err, *needles)


def test_bad_files(capsys, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    code, _, err = run(capsys, "predict", "mnist_mlp", str(text))
    assert_one_sentence_error(code, err, "not an image file")

    wrong_size = tmp_path / "wide.png"
    Image.fromarray(np.zeros((20, 40), dtype="uint8")).save(wrong_size)
    code, _, err = run(capsys, "predict", "mnist_mlp", str(wrong_size))
    assert_one_sentence_error(code, err, "40x20 pixels", "expects 28x28", "--resize")

    nan = tmp_path / "nan.npy"
    array = np.zeros((28, 28), dtype="float32")
    array[3, 4] = np.nan
    np.save(nan, array)
    code, _, err = run(capsys, "predict", "mnist_mlp", str(nan))
    assert_one_sentence_error(code, err, "NaN")

    wrong_shape = tmp_path / "flat.npy"
    np.save(wrong_shape, np.zeros(784, dtype="uint8"))
    code, _, err = run(capsys, "predict", "mnist_mlp", str(wrong_shape))
    assert_one_sentence_error(code, err, "shape (784,)", "(28, 28)")

    rescaled = tmp_path / "unit.npy"
    np.save(rescaled, np.full((28, 28), 0.5, dtype="float32"))
    code, _, err = run(capsys, "predict", "mnist_mlp", str(rescaled))
    assert_one_sentence_error(code, err, "0-255")


def test_missing_dataset_names_the_file_to_put_where(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "mnist_mlp", "--data-dir", str(tmp_path))
    assert_one_sentence_error(code, err, "mnist.npz", str(tmp_path / "mnist" / "mnist.npz"))


def test_python_dash_m_zoo_with_backend_flag(backend_name):
    env = {**os.environ, "KERAS_BACKEND": "not-a-backend"}  # --backend must win over the env
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zoo",
            "--backend",
            backend_name,
            "eval",
            "mnist_mlp",
            "--sample",
            "--limit",
            "50",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backend"] == backend_name


def test_predict_binary_model_gives_named_probabilities_without_inverting(capsys, tmp_path):
    import zoo

    x, _ = zoo.datasets.load_sample("pneumoniamnist")
    x = x[1:2]  # a bright border (mean 157): MNIST's polarity check would have inverted it
    path = tmp_path / "xray.png"
    Image.fromarray(x[0]).save(path)
    code, out, _ = run(capsys, "predict", "pneumonia_resnet", str(path), "--json")
    assert code == 0
    top = json.loads(out)["predictions"][0]["top"]
    assert {t["name"] for t in top} == {"normal", "pneumonia"}
    logit = float(np.asarray(zoo.load("pneumonia_resnet").predict(x, verbose=0))[0, 0])
    pneumonia = next(t["probability"] for t in top if t["name"] == "pneumonia")
    assert pneumonia == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-5)  # the X-ray was not inverted
