"""Fuzzing every command with bad input as a new user would give it.

A generated corpus (damaged, empty, huge and odd images; .npy files with absurd headers, pickles,
NaN; damaged and foreign weights; bad CSVs; bad numbers for every numeric flag; output paths of the
wrong kind) goes through `zoo` and the application CLIs, in-process. Every case must end with exit 2,
one sentence on stderr (at most 2 lines, no traceback), stdout empty or valid JSON, and nothing new
in the folder it ran in. Property-based tests (hypothesis) cover the flag validators and the readers.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import zoo
from applications.finance.__main__ import main as finance
from applications.medical_imaging.__main__ import main as medical
from applications.recommendation.__main__ import main as recommendation
from tests.conftest import npy_header, png_header
from zoo import cli
from zoo.core import flags, hub, inputs, registry
from zoo.datasets import prices

BAD_WHOLE = ["0", "-1", "nan", "abc", "1.5", "99999999999999999999999"]
BAD_REAL = ["nan", "inf", "-inf", "abc", "-1"]


def make_corpus(folder: Path) -> dict[str, Path]:
    """Every bad input file, by name."""
    x, _ = zoo.datasets.load_sample("mnist")
    good_png = folder / "good.png"
    Image.fromarray(x[0]).save(good_png)
    files = {
        "empty.png": b"",
        "garbage.png": np.random.default_rng(0).integers(0, 256, 2000, dtype="uint8").tobytes(),
        "truncated.png": good_png.read_bytes()[:60],
        "huge.png": png_header(30_000, 30_000),
        "text.png": b"hello, I am not an image\n",
        "empty.npy": b"",
        "absurd.npy": npy_header((10**9, 28, 28)),
        "truncated.npy": npy_header((4, 28, 28)) + b"\0" * 100,
        "negative-shape.npy": npy_header((-3, 28, 28)),
        "bad-descr.npy": npy_header((2, 28, 28), descr="<zz"),
        "no-magic.npy": b"\x93NUMPX" + b"\0" * 64,
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    arrays = {
        "nan.npy": np.full((28, 28), np.nan),
        "inf.npy": np.full((2, 28, 28), np.inf),
        "complex.npy": np.zeros((28, 28), "complex64"),
        "strings.npy": np.full((28, 28), "a"),
        "wrong-shape.npy": np.zeros((5, 5)),
        "zero-length.npy": np.zeros((0, 28, 28)),
        "rescaled.npy": np.full((28, 28), 0.5),
        "out-of-range.npy": np.full((28, 28), 300.0),
    }
    for name, array in arrays.items():
        paths[name] = folder / name
        np.save(paths[name], array)
    paths["pickle.npy"] = folder / "pickle.npy"
    np.save(paths["pickle.npy"], np.array([{"x": 1}], dtype=object), allow_pickle=True)
    paths["folder.png"] = folder / "folder.png"
    paths["folder.png"].mkdir()
    good_png.unlink()

    shipped = hub.WEIGHTS_DIR / hub.entry("mnist_mlp")["file"]
    weights = {
        "zeros.weights.h5": b"\0" * 4096,
        "text.weights.h5": b"not hdf5\n",
        "truncated.weights.h5": shipped.read_bytes()[:5000],
        "empty.weights.h5": b"",
    }
    for name, data in weights.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    paths["other-model.weights.h5"] = folder / "other-model.weights.h5"
    shutil.copyfile(hub.WEIGHTS_DIR / hub.entry("mnist_cnn")["file"], paths["other-model.weights.h5"])
    paths["wrong-suffix.h5"] = folder / "wrong-suffix.h5"
    shutil.copyfile(shipped, paths["wrong-suffix.h5"])
    nan_model = registry.get("mnist_mlp").build()
    nan_model.set_weights([np.full_like(w, np.nan) for w in nan_model.get_weights()])
    paths["nan.weights.h5"] = hub.save_weights(nan_model, folder / "nan.weights.h5", name="mnist_mlp")

    header = "Date,Open,High,Low,Close\n"
    csvs = {
        "empty.csv": "",
        "header-only.csv": header,
        "no-close.csv": "Date,Open,High,Low\n2020-01-02,1,1,1\n",
        "nan.csv": header + "2020-01-02,nan,1,1,1\n2020-01-03,1,1,1,1\n",
        "negative.csv": header + "2020-01-02,-1,1,1,1\n2020-01-03,1,1,1,1\n",
        "unsorted.csv": header + "2020-01-03,1,2,1,1.5\n2020-01-02,1,2,1,1.5\n",
        "bad-date.csv": header + "yesterday,1,2,1,1.5\n",
        "long-field.csv": header + "2020-01-02," + "9" * 150_000 + ",2,1,1\n",
        "constant.csv": header
        + "".join(f"2020-{m:02d}-{d:02d},5,5,5,5\n" for m in range(1, 13) for d in range(1, 28)),
    }
    for name, text in csvs.items():
        paths[name] = folder / name
        paths[name].write_text(text)
    paths["binary.csv"] = folder / "binary.csv"
    paths["binary.csv"].write_bytes(bytes(range(256)) * 8)
    paths["a-file"] = folder / "a-file"
    paths["a-file"].write_text("")
    return paths


IMAGES = ["empty.png", "garbage.png", "truncated.png", "huge.png", "text.png", "folder.png", "missing.png"]
ARRAYS = ["empty.npy", "absurd.npy", "truncated.npy", "negative-shape.npy", "bad-descr.npy", "no-magic.npy",
          "nan.npy", "inf.npy", "complex.npy", "strings.npy", "wrong-shape.npy", "zero-length.npy",
          "rescaled.npy", "out-of-range.npy", "pickle.npy"]  # fmt: skip
WEIGHTS = ["zeros.weights.h5", "text.weights.h5", "truncated.weights.h5", "empty.weights.h5",
           "other-model.weights.h5", "wrong-suffix.h5", "nan.weights.h5", "missing.weights.h5"]  # fmt: skip
CSVS = ["empty.csv", "header-only.csv", "no-close.csv", "nan.csv", "negative.csv", "unsorted.csv",
        "bad-date.csv", "long-field.csv", "constant.csv", "binary.csv", "missing.csv"]  # fmt: skip


def corpus() -> list[tuple[str, str, list[str]]]:
    """(id, program, argv) of every case; FILE:name stands for a corpus file, OUT for a fresh path."""
    cases = []

    def add(program, *argv):
        cases.append((f"{program} {' '.join(argv)}", program, list(argv)))

    for name in IMAGES + ARRAYS:
        add("zoo", "predict", "mnist_mlp", f"FILE:{name}", "--json")
    for name in IMAGES:
        add("zoo", "predict", "cifar_resnet", f"FILE:{name}")
        add("medical", "predict", f"FILE:{name}", "--out", "OUT")
    for name in WEIGHTS:
        add("zoo", "eval", "mnist_mlp", "--sample", "--weights", f"FILE:{name}", "--json")
        add("zoo", "predict", "mnist_mlp", "FILE:wrong-shape.npy", "--weights", f"FILE:{name}")
    for flag in ("--epochs", "--batch-size", "--limit", "--steps"):
        for value in BAD_WHOLE:
            add("zoo", "train", "mnist_mlp", flag, value, "--out", "OUT")
    for value in ("-1", "abc", "nan"):
        add("zoo", "train", "mnist_mlp", "--holdout", value, "--out", "OUT")
        add("zoo", "train", "mnist_mlp", "--seed", value, "--out", "OUT")
    add("zoo", "train", "mnist_mlp", "--out", "FILE:a-file")
    add("zoo", "train", "mnist_mlp", "--out", "FILE:a-file/run")
    add("zoo", "train", "dqn_cartpole", "--epochs", "2", "--out", "OUT")
    add("zoo", "train", "char_gpt", "--holdout", "5", "--out", "OUT")
    for value in BAD_WHOLE:
        add("zoo", "eval", "mnist_mlp", "--sample", "--limit", value)
        add("zoo", "predict", "mnist_mlp", "FILE:nan.npy", "--top", value)
        add("zoo", "play", "dqn_cartpole", "--episodes", value)
        add("zoo", "generate", "char_gpt", "--max-new", value)
        add("zoo", "generate", "dcgan_mnist", "--digit", "3", "--n", value, "--out", "OUT.png")
    for value in ("-1", "abc"):
        add("zoo", "play", "dqn_cartpole", "--seed", value)
        add("zoo", "generate", "char_gpt", "--seed", value)
    for value in BAD_REAL:
        add("zoo", "generate", "char_gpt", "--temperature", value)
        add("zoo", "generate", "char_gpt", "--sampler", "top_p", "--p", value)
        add("finance", "backtest", "--sample", "--ticker", "SPY", "--cost-bps", value)
        add("finance", "backtest", "--sample", "--ticker", "SPY", "--target-vol", value)
        add("medical", "calibrate", "--target-sensitivity", value)
        add("recommendation", "flywheel", "--sample", "--start-share", value)
    for value in ("1001", "0", "100000000000"):
        add("zoo", "generate", "char_gpt", "--sampler", "top_k", "--k", value)
    for digit in ("10", "-1", "²", "seven", ""):
        add("zoo", "generate", "dcgan_mnist", "--digit", digit, "--out", "OUT.png")
    for out in ("OUT.jpg", "OUT.txt", "FILE:folder.png", "FILE:a-file/x.png"):
        add("zoo", "generate", "dcgan_mnist", "--digit", "3", "--out", out)
    for gif in ("FILE:folder.png", "OUT.txt", "FILE:a-file/x.gif"):
        add("zoo", "play", "dqn_cartpole", "--episodes", "1", "--gif", gif)
    add("zoo", "generate", "char_gpt", "--prompt", "naïve ☃")
    add("zoo", "generate", "char_gpt", "--sampler", "beam")
    add("zoo", "generate", "mnist_mlp")
    add("zoo", "predict", "char_gpt", "FILE:nan.npy")
    add("zoo", "play", "mnist_mlp")
    add("zoo", "eval", "mnist_mlp", "--split", "nope")
    add("zoo", "eval", "mnist_mlp", "--sample", "--tta")
    add("zoo", "eval", "dcgan_mnist", "--split", "train")
    add("zoo", "eval", "ts_transformer", "--limit", "5")
    add("zoo", "export", "mnist_mlp", "--format", "nope", "--out", "OUT")
    add("zoo", "export", "char_gpt", "--format", "onnx", "--out", "OUT")
    add("zoo", "export", "mnist_mlp", "--format", "saved_model", "--out", "FILE:a-file")
    add("zoo", "quantize", "char_gpt", "--int8", "--sample")
    add("zoo", "info", "resnet9000")
    add("zoo", "--backend", "theano", "list")
    add("zoo", "nonsense")
    for name in CSVS:
        add("finance", "forecast", "--csv", f"FILE:{name}", "--out", "OUT")
    add("finance", "forecast", "--sample", "--ticker", "SPY,IBM", "--out", "OUT")
    add("finance", "forecast", "--sample", "--ticker", "NOPE", "--out", "OUT")
    add("finance", "forecast", "--sample", "--ticker", "SPY", "--horizon", "3", "--out", "OUT")
    add("finance", "forecast", "--sample", "--ticker", "SPY", "--out", "FILE:a-file")
    for value in BAD_WHOLE:
        add("recommendation", "recommend", "--sample", "--user", "1", "--k", value)
        add("recommendation", "coldstart", "--sample", "--given", value)
        add("recommendation", "flywheel", "--sample", "--epochs-per-round", value)
    add("recommendation", "recommend", "--sample", "--like", "no title like this one at all qqq")
    add("recommendation", "recommend", "--sample", "--like", ",")
    add("recommendation", "recommend", "--sample")
    add("medical", "evaluate", "--dataset", "nope")
    return cases


PROGRAMS = {"zoo": cli.main, "finance": finance, "medical": medical, "recommendation": recommendation}
CASES = corpus()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, make_corpus(folder)


def _contents(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("program, argv", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_sentence_and_leaves_nothing(program, argv, corpus_dir, capsys, monkeypatch):
    folder, files = corpus_dir
    monkeypatch.chdir(folder)
    resolved = [
        str(files.get(a[5:].split("/")[0], folder / a[5:].split("/")[0])) + a[5:][len(a[5:].split("/")[0]) :]
        if a.startswith("FILE:")
        else a.replace("OUT", str(folder / "out"))
        for a in argv
    ]
    before = _contents(folder)
    try:
        code = PROGRAMS[program](resolved)
    except SystemExit as exit:  # --help and friends only
        code = exit.code
    out, err = capsys.readouterr()
    assert code == 2, f"exit {code}; stderr: {err}"
    assert "Traceback" not in err and 1 <= len(err.strip().splitlines()) <= 2, err
    if out.strip():
        json.loads(out)
    assert _contents(folder) == before, sorted(_contents(folder) - before)


# Property-based: the validators and readers answer every input with a value or their own error.


@given(st.text(max_size=30), st.integers(-5, 5), st.one_of(st.none(), st.integers(5, 10**6)))
def test_whole_numbers_are_in_range_or_refused(text, low, high):
    parse = flags.whole(low, high)
    try:
        value = parse(text)
    except argparse.ArgumentTypeError as exc:
        assert str(exc)
        return
    assert isinstance(value, int) and low <= value and (high is None or value <= high)


@given(st.text(max_size=30), st.booleans())
def test_real_numbers_are_finite_in_range_or_refused(text, low_open):
    parse = flags.number(0, 1, low_open=low_open)
    try:
        value = parse(text)
    except argparse.ArgumentTypeError:
        return
    assert math.isfinite(value) and (0 < value if low_open else 0 <= value) and value <= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000), st.sampled_from([".png", ".jpg", ".npy", ".bmp"]))
def test_the_input_reader_returns_valid_pixels_or_one_error(tmp_path, data, suffix):
    path = tmp_path / f"x{suffix}"
    path.write_bytes(data)
    try:
        x, sources = inputs.read_inputs([path], registry.get("mnist_cnn"))
    except inputs.InputError as exc:
        assert str(path) in str(exc)
        return
    assert x.shape[1:] == (28, 28) and len(sources) == len(x) and 0 <= x.min() <= x.max() <= 255


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_the_price_reader_returns_bars_or_one_error(tmp_path, text):
    path = tmp_path / "p.csv"
    path.write_text("Date,Open,High,Low,Close\n" + text)
    try:
        bars = prices.read_csv(path)
    except ValueError as exc:
        assert str(path) in str(exc)
        return
    assert len(bars.dates) >= 2 and np.all(np.diff(bars.dates.astype("int64")) > 0) and np.all(bars.close > 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_weights_file_loads_whole_or_not_at_all(tmp_path, flips):
    data = bytearray((hub.WEIGHTS_DIR / hub.entry("mnist_mlp")["file"]).read_bytes())
    for offset, value in flips:
        data[offset % len(data)] = value
    path = tmp_path / "flipped.weights.h5"
    path.write_bytes(bytes(data))
    model = registry.get("mnist_mlp").build()
    before = [w.copy() for w in model.get_weights()]
    try:
        hub.load_weights(model, path, name="mnist_mlp")
    except hub.WeightsError:
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
        return
    shipped = registry.get("mnist_mlp").load()  # loaded: only metadata bytes changed, the arrays are intact
    assert all(np.array_equal(a, b) for a, b in zip(shipped.get_weights(), model.get_weights(), strict=True))
