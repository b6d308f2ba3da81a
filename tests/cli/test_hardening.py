"""The 16 defects a new-user run found (bad input and faults), one test each: one sentence, exit 2,
nothing loaded or written half-way."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

import zoo
from applications.finance.__main__ import main as finance_main
from applications.recommendation.__main__ import liked_titles
from applications.recommendation.__main__ import main as recommendation_main
from tests.conftest import npy_header, png_header
from zoo import cli
from zoo.core import hub, inputs, registry
from zoo.core.training import Run, TrainOptions


def run(capsys, *argv, main=cli.main):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *argv, needle: str, main=cli.main):
    code, out, err = run(capsys, *argv, main=main)
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert needle in err, err
    return err


# 1. The documented agent evaluation.
def test_1_eval_of_the_agent_runs_without_a_split(capsys):
    code, out, err = run(capsys, "eval", "dqn_cartpole", "--json", "--n", "2")
    assert code == 0, err
    assert json.loads(out)["split"] == "greedy episodes"


# 2. A weights file is the model's own, undamaged, finite and of the right dtype.
def test_2_another_models_weights_with_the_same_layout_are_refused(capsys):
    breast = hub.WEIGHTS_DIR / hub.entry("breast_resnet")["file"]
    refused(
        capsys, "eval", "pneumonia_resnet", "--sample", "--weights", str(breast), needle="breast_resnet, not"
    )


def copy_of_mnist_mlp(tmp_path) -> Path:
    path = tmp_path / "mine.weights.h5"
    shutil.copyfile(hub.WEIGHTS_DIR / hub.entry("mnist_mlp")["file"], path)
    return path


def test_2_a_flipped_byte_in_the_arrays_is_refused(tmp_path, capsys):
    path = copy_of_mnist_mlp(tmp_path)
    with h5py.File(path, "a") as f:
        kernel = next(f[k] for k in _datasets(f) if f[k].ndim == 2)
        values = kernel[()]
        values.view("uint8").reshape(-1)[7] ^= 0x10
        kernel[...] = values
    refused(capsys, "eval", "mnist_mlp", "--sample", "--weights", str(path), needle="damaged")


def _datasets(f) -> list[str]:
    found = []
    f.visititems(lambda key, obj: found.append(key) if isinstance(obj, h5py.Dataset) else None)
    return sorted(found)


def test_2_nan_weights_are_refused_and_nothing_is_half_loaded(tmp_path):
    spec = registry.get("mnist_mlp")
    bad = spec.build()
    bad.set_weights([np.full_like(w, np.nan) if i == len(bad.weights) - 1 else w
                     for i, w in enumerate(bad.get_weights())])  # fmt: skip
    path = hub.save_weights(bad, tmp_path / "nan.weights.h5", name="mnist_mlp")  # recorded, digest valid
    model = spec.load()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(hub.WeightsError, match="NaN or infinite"):
        hub.load_weights(model, path, name="mnist_mlp")
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_2_int8_arrays_of_the_right_shapes_are_refused(tmp_path, capsys):
    path = copy_of_mnist_mlp(tmp_path)
    with h5py.File(path, "a") as f:
        for key in _datasets(f):
            if f[key].dtype.kind == "f":
                data = f[key][()]
                del f[key]
                f[key] = data.astype("int8")
        del f.attrs["zoo_digest"]  # a file made elsewhere: no digest to catch it
    refused(capsys, "eval", "mnist_mlp", "--sample", "--weights", str(path), needle="int8")


# 3. Nothing is assigned before every array passed (the NaN case above checks the weights stayed).
def test_3_a_damaged_file_leaves_the_model_untouched(tmp_path):
    path = copy_of_mnist_mlp(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # the second half of the file zeroed
    path.write_bytes(bytes(data))
    model = registry.get("mnist_mlp").load()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(hub.WeightsError):
        hub.load_weights(model, path, name="mnist_mlp")
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


# 4. Numbers are checked, never silently rewritten.
@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--epochs", "0"], "--epochs: 0 is out of range"),
        (["--batch-size", "0"], "--batch-size: 0 is out of range"),
        (["--limit", "-59990"], "--limit: -59990 is out of range"),
        (["--limit", "0"], "--limit: 0 is out of range"),
        (["--holdout", "-59950"], "--holdout: -59950 is out of range"),
    ],
)
def test_4_bad_training_numbers_are_refused(capsys, tmp_path, flags, needle):
    refused(capsys, "train", "mnist_mlp", "--out", str(tmp_path / "run"), *flags, needle=needle)
    assert not (tmp_path / "run").exists()


def test_4_a_holdout_larger_than_the_data_is_refused(capsys, tmp_path, tiny_mnist_dir):
    refused(capsys, "train", "mnist_mlp", "--out", str(tmp_path / "run"), "--data-dir", str(tiny_mnist_dir),
            "--holdout", "1000000000", needle="leaves no training examples")  # fmt: skip


# 5 and 16. User mistakes that ended in tracebacks; huge images refused from their header.
def test_5_16_a_huge_image_is_refused_before_decoding(tmp_path, capsys):
    bomb = tmp_path / "huge.png"
    bomb.write_bytes(png_header(20_000, 20_000))
    refused(capsys, "predict", "mnist_mlp", str(bomb), needle="20000x20000 pixels")
    big = tmp_path / "big.png"
    big.write_bytes(png_header(10_000, 10_000))
    refused(capsys, "predict", "cifar_resnet", str(big), needle="10000x10000 pixels")


@pytest.mark.parametrize(
    "make, needle",
    [
        (lambda p: p.write_bytes(b""), "not a readable .npy"),
        (
            lambda p: p.write_bytes(npy_header((100_000_000, 28, 28))),
            "claims an array",
        ),
        (lambda p: p.write_bytes(npy_header((5, 28, 28))), "truncated"),
        (lambda p: np.save(p, np.zeros((0, 28, 28), "uint8")), "empty array"),
        (lambda p: np.save(p, np.array([{"a": 1}]), allow_pickle=True), "pickle"),
    ],
    ids=["empty-file", "absurd-shape", "truncated", "zero-length", "pickle"],
)
def test_5_10_bad_npy_files(tmp_path, capsys, make, needle):
    path = tmp_path / "x.npy"
    make(path)
    refused(capsys, "predict", "mnist_mlp", str(path), needle=needle)


def test_5_damaged_weights_metadata_and_a_renamed_file(tmp_path, capsys):
    path = copy_of_mnist_mlp(tmp_path)
    with open(path, "r+b") as f:
        f.seek(0)
        f.write(b"\0" * 512)  # the HDF5 superblock
    refused(
        capsys, "eval", "mnist_mlp", "--sample", "--weights", str(path), needle="not a readable .weights.h5"
    )
    renamed = tmp_path / "mine.keras"
    shutil.copyfile(hub.WEIGHTS_DIR / hub.entry("mnist_mlp")["file"], renamed)
    refused(
        capsys, "eval", "mnist_mlp", "--sample", "--weights", str(renamed), needle="not a .weights.h5 file"
    )


@pytest.mark.parametrize(
    "write, needle",
    [
        (lambda p: p.write_bytes(b"PK\x03\x04 truncated"), "damaged"),
        (lambda p: p.write_bytes(b""), "damaged"),
        (lambda p: np.savez(p, images=np.zeros((2, 28, 28))), "no array"),
        (lambda p: np.savez(p, x_test=np.zeros((2, 32, 32)), y_test=np.zeros(2)), "has shape (2, 32, 32)"),
        (lambda p: np.savez(p, x_test=np.array([{}] * 2), y_test=np.zeros(2)), "damaged or not an .npz"),
    ],
    ids=["truncated", "empty", "wrong-keys", "wrong-shape", "pickled"],
)
def test_5_10_a_damaged_dataset_file_is_named(tmp_path, capsys, write, needle):
    folder = tmp_path / "mnist"
    folder.mkdir()
    write(folder / "mnist.npz")
    err = refused(capsys, "eval", "mnist_mlp", "--data-dir", str(tmp_path), needle=needle)
    assert "mnist.npz" in err


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["play", "dqn_cartpole", "--seed", "-1"], "--seed: -1 is out of range"),
        (["generate", "char_gpt", "--sampler", "top_k", "--k", "1000"], "--k must be between 1 and the 65"),
        (["generate", "dcgan_mnist", "--digit", "²"], "is not a digit"),
    ],
)
def test_5_10_bad_flags_of_generators_and_agents(capsys, argv, needle):
    refused(capsys, *argv, needle=needle)


def test_5_14_output_paths_are_checked_before_work(tmp_path, capsys):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    refused(capsys, "generate", "dcgan_mnist", "--digit", "3", "--out", str(folder), needle="is a folder")
    refused(capsys, "play", "dqn_cartpole", "--episodes", "1", "--gif", str(folder), needle="is a folder")
    refused(
        capsys,
        "generate",
        "dcgan_mnist",
        "--digit",
        "3",
        "--out",
        str(tmp_path / "x.jpg"),
        needle="must end in .png",
    )
    file = tmp_path / "a_file"
    file.write_text("")
    refused(capsys, "train", "mnist_mlp", "--out", str(file), needle="is a file; give a folder")
    refused(capsys, "train", "mnist_mlp", "--out", str(file / "run"), needle="is a file, not a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "a_folder"] and not any(folder.iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders: the check cannot fail")
def test_5_a_read_only_output_folder_is_refused_before_work(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    refused(capsys, "train", "mnist_mlp", "--out", str(locked / "run"), needle="not writable")


def test_5_10_finance_csv_and_costs(tmp_path, capsys):
    long_field = tmp_path / "long.csv"
    long_field.write_text("Date,Open,High,Low,Close\n" + "2020-01-01," + "1" * 200_000 + ",1,1,1\n")
    refused(capsys, "forecast", "--csv", str(long_field), needle="long.csv", main=finance_main)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    refused(capsys, "forecast", "--csv", str(binary), needle="binary.csv", main=finance_main)
    refused(
        capsys,
        "backtest",
        "--sample",
        "--ticker",
        "SPY",
        "--cost-bps",
        "nan",
        needle="--cost-bps",
        main=finance_main,
    )
    refused(
        capsys, "forecast", "--sample", "--ticker", "SPY,IBM", needle="reads one asset", main=finance_main
    )


# 6. One run per folder.
def test_6_a_second_run_in_the_same_folder_is_refused(tmp_path, capsys):
    with Run("mnist_mlp", TrainOptions(out_dir=tmp_path / "run")):
        refused(
            capsys, "train", "mnist_mlp", "--out", str(tmp_path / "run"), needle="is in use by a training run"
        )


# 7. Temporary files of a killed run are cleaned up by the next run of the folder.
def test_7_stale_temporaries_are_removed(tmp_path, tiny_mnist_dir):
    stale = [
        tmp_path / "run" / "checkpoint" / ".epoch-1-abc123.weights.h5",
        tmp_path / "run" / ".mnist_mlp-x9.weights.h5",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    zoo.train("mnist_mlp", epochs=1, out_dir=tmp_path / "run", data_dir=tiny_mnist_dir, verbose=0)
    assert not any(path.exists() for path in stale)


# 9. 16-bit images are scaled, not clipped.
def test_9_a_16_bit_png_is_scaled_to_8_bits(tmp_path):
    x, _ = zoo.datasets.load_sample("mnist")
    dark_on_light = (255 - x[0]).astype("uint16") * 257  # the same picture in 16 bits
    path = tmp_path / "digit16.png"
    image = Image.fromarray(dark_on_light)
    assert image.mode == "I;16"
    image.save(path)
    read, _ = inputs.read_inputs([path], registry.get("mnist_mlp"), invert=False)
    np.testing.assert_allclose(read[0], 255 - x[0], atol=1)


# 10. Corrupt state, recommendation numbers.
def test_10_a_corrupt_state_json_is_one_sentence(tmp_path, capsys):
    state = tmp_path / "run" / "checkpoint" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    refused(capsys, "train", "mnist_mlp", "--out", str(tmp_path / "run"), "--resume", needle="is damaged")


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["recommend", "--sample", "--user", "1", "--k", "1000000000"], "--k: 1000000000 is out of range"),
        (["coldstart", "--sample", "--given", "-2"], "--given: -2 is out of range"),
        (["coldstart", "--sample", "--given", "0"], "--given: 0 is out of range"),
        (["coldstart", "--sample", "--given", "100000"], "--given: 100000 is out of range"),
        (["coldstart", "--sample", "--epochs", "0"], "--epochs: 0 is out of range"),
        (["flywheel", "--sample", "--epochs-per-round", "-1"], "--epochs-per-round: -1 is out of range"),
        (["flywheel", "--sample", "--first-epochs", "0"], "--first-epochs: 0 is out of range"),
    ],
)
def test_10_11_recommendation_numbers(capsys, argv, needle):
    refused(capsys, *argv, needle=needle, main=recommendation_main)


# 12. Titles with commas.
def test_12_liked_titles_with_commas():
    assert liked_titles(["Cowboy Bebop,Steins;Gate"]) == ["Cowboy Bebop", "Steins;Gate"]
    assert liked_titles(["Hello\\, World", "Monster"]) == ["Hello, World", "Monster"]


# 13. Application argument errors are one line.
def test_13_an_application_argument_error_is_one_line(capsys):
    refused(capsys, "recommend", "--sample", needle="one of the arguments --user --like is required",
            main=recommendation_main)  # fmt: skip


# 15. A resumed finished run reports the epochs it holds.
def test_15_resuming_a_finished_run_with_fewer_epochs_reports_the_truth(tmp_path, tiny_mnist_dir):
    zoo.train("mnist_mlp", epochs=3, out_dir=tmp_path / "run", data_dir=tiny_mnist_dir, verbose=0)
    again = zoo.train(
        "mnist_mlp", epochs=2, out_dir=tmp_path / "run", data_dir=tiny_mnist_dir, resume=True, verbose=0
    )
    assert again["epochs"] == 3 == len(again["history"]["loss"])
