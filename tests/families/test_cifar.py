"""CIFAR-10: data splits, the numpy augmentation, the whitening init, the recipe's pieces, the
shipped cifar_cnn / cifar_resnet / catdog_cnn weights, and `zoo predict` on real photos."""

from __future__ import annotations

import dataclasses
import json

import keras
import numpy as np
import pytest
from PIL import Image
from test_cli import assert_one_sentence_error, run

import zoo
from tests.conftest import full_data, sample_threshold
from zoo import datasets
from zoo.core import hub, registry
from zoo.core.losses import SmoothedSparseCrossentropy
from zoo.core.optimizers import OneCycle
from zoo.families.cifar import cifar_resnet

CIFAR_MODELS = ["cifar_cnn", "cifar_resnet", "catdog_cnn"]
requires_cifar = pytest.mark.skipif(
    not full_data("cifar10", "train_0.npz"),
    reason="CIFAR-10 ($ZOO_DATA_DIR/cifar10/) not found: the full-data checks need it",
)


@pytest.fixture(scope="module")
def cifar_sample():
    return datasets.load_sample("cifar10")


@pytest.fixture
def tiny_cifar_dir(tmp_path, cifar_sample):
    """A small real CIFAR-10 in the local layout (five train batches, a test file) from the sample."""
    x, y = cifar_sample
    folder = tmp_path / "data" / "cifar10"
    folder.mkdir(parents=True)
    for i in range(5):
        np.savez(
            folder / f"train_{i}.npz",
            x_train=x[i * 50 : (i + 1) * 50],
            y_train=y[i * 50 : (i + 1) * 50, None],
        )
    np.savez(folder / "test_first1000.npz", x_test=x[250:], y_test=y[250:, None])
    return tmp_path / "data"


def test_splits_hold_out_a_tenth_and_catdog_relabels(tiny_cifar_dir, cifar_sample):
    x_train, y_train = datasets.load("cifar10", "train", data_dir=tiny_cifar_dir)
    x_val, _ = datasets.load("cifar10", "val", data_dir=tiny_cifar_dir)
    assert len(x_train) == 225 and len(x_val) == 25  # the last 10% of the 250 "training" images
    np.testing.assert_array_equal(x_val, cifar_sample[0][225:250])
    x_cd, y_cd = datasets.load("cifar10_catdog", "train", data_dir=tiny_cifar_dir)
    np.testing.assert_array_equal(y_cd, (y_train[np.isin(y_train, [3, 5])] == 5).astype("uint8"))
    assert len(x_cd) == np.isin(y_train, [3, 5]).sum()


@requires_cifar
def test_full_splits_are_disjoint_and_sized():
    x_train, _ = datasets.load("cifar10", "train")
    x_val, _ = datasets.load("cifar10", "val")
    x_test, _ = datasets.load("cifar10", "test")
    assert (len(x_train), len(x_val)) == (45_000, 5_000)
    assert len(x_test) in (1_000, 10_000)  # offline: the first 1,000 official test images


def test_augmentation_is_seeded_and_only_flips_and_translates(cifar_sample):
    x = cifar_sample[0][:64]
    recipe = registry.get("cifar_resnet").recipe
    first = recipe.augment(x, np.random.default_rng(7))
    np.testing.assert_array_equal(first, recipe.augment(x, np.random.default_rng(7)))
    assert not np.array_equal(first, recipe.augment(x, np.random.default_rng(8)))
    for original, augmented in zip(x, first, strict=True):  # some flip + shift of <= 2 px explains it
        padded = [
            np.pad(img, ((2, 2), (2, 2), (0, 0)), mode="reflect") for img in (original, original[:, ::-1])
        ]
        crops = [p[dy : dy + 32, dx : dx + 32] for p in padded for dy in range(5) for dx in range(5)]
        assert any(np.array_equal(crop, augmented) for crop in crops)


def test_augmentation_stays_out_of_the_model_and_inference_is_deterministic(cifar_sample):
    model = zoo.load("cifar_resnet")
    randomizing = (keras.layers.Dropout, keras.layers.RandomFlip, keras.layers.RandomTranslation)
    assert not any(isinstance(layer, randomizing) for layer in model.layers)
    x = cifar_sample[0][:16]
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_whitening_kernel_decorrelates_patches(cifar_sample):
    x = cifar_sample[0]
    kernel = cifar_resnet.whitening_kernel(x, n=len(x), eps=0.0)  # (2, 2, 3, 24)
    normalized = (x.astype("float64") - cifar_resnet._cifar.MEAN) / cifar_resnet._cifar.STD
    windows = np.lib.stride_tricks.sliding_window_view(normalized, (2, 2), axis=(1, 2))
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 12)
    responses = patches @ kernel.reshape(12, 24)[:, :12]
    np.testing.assert_allclose(np.cov(responses, rowvar=False), np.eye(12), atol=2e-3)
    np.testing.assert_allclose(kernel[..., 12:], -kernel[..., :12])


def test_one_cycle_schedule_rises_peaks_and_falls_to_zero():
    schedule = OneCycle(peak=0.4, total_steps=100, warmup=0.25)
    values = [float(keras.ops.convert_to_numpy(schedule(step))) for step in (0, 10, 25, 50, 100, 120)]
    np.testing.assert_allclose(values, [0.0, 0.16, 0.4, 0.4 * 50 / 75, 0.0, 0.0], atol=1e-6)


def test_smoothed_crossentropy_matches_the_smoothed_target_by_hand():
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]], "float32")
    labels = np.array([0, 1])
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    target = np.full((2, 3), 0.2 / 3) + 0.8 * np.eye(3)[labels]
    expected = -(target * log_p).sum(-1).mean()
    got = float(keras.ops.convert_to_numpy(SmoothedSparseCrossentropy(0.2)(labels, logits)))
    assert got == pytest.approx(expected, rel=1e-5)


def test_cifar_resnet_trains_on_a_tiny_copy(tmp_path, tiny_cifar_dir):
    result = zoo.train(
        "cifar_resnet",
        epochs=1,
        batch_size=32,
        limit=64,
        data_dir=tiny_cifar_dir,
        out_dir=tmp_path / "run",
        verbose=0,
    )
    assert np.isfinite(result["history"]["loss"][0]) and "val_accuracy" in result["history"]
    assert result["test"]["split"] == "test[:50]" and result["test"]["n"] == 50  # 50 of 10,000 here


@pytest.mark.parametrize("name", CIFAR_MODELS)
def test_accuracy_on_bundled_sample(name, backend_name, recorded):
    spec = registry.get(name)
    result = zoo.task(name).evaluate(zoo.load(name), sample=True)
    full = recorded(name, backend_name)
    assert result["split"] == "test-sample" and result["n"] == len(datasets.load_sample(spec.dataset)[1])
    assert result["metrics"]["accuracy"] >= sample_threshold(full["accuracy"], result["n"])


def test_flip_tta_on_the_sample_and_refused_where_mirroring_changes_meaning(cifar_sample):
    with_tta = zoo.task("cifar_resnet").evaluate(zoo.load("cifar_resnet"), sample=True, tta=True)
    assert with_tta["tta"] is True and 0.85 <= with_tta["metrics"]["accuracy"] <= 1.0
    with pytest.raises(ValueError, match="no flip test-time augmentation"):
        zoo.task("mnist_mlp").evaluate(zoo.load("mnist_mlp"), sample=True, tta=True)


def test_translate_tta_weighs_airbench_six_views():
    """translate_tta t=1: half the mirror average of the images, a quarter each the mirror averages
    of the images moved one pixel both ways (reflect padding), read here at two pixels a model passes
    through: the top-left corner and (16, 16)."""
    spec = registry.get("cifar_resnet")
    spec = dataclasses.replace(spec, options={**spec.options, "flip_tta": True, "translate_tta": 1})
    images = keras.Input((32, 32, 3))
    corner = keras.layers.Flatten()(keras.layers.Cropping2D(((0, 31), (0, 31)))(images))
    middle = keras.layers.Flatten()(keras.layers.Cropping2D(((16, 15), (16, 15)))(images))
    model = keras.Model(images, keras.layers.Concatenate()([corner, middle]))
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    got = spec.tasks().outputs(model, x, tta=True)
    # each view's pixel, worked out by hand: the reflected border repeats row/column 1 (and 30)
    expected_corner = (x[:, 0, 0] + x[:, 0, 31]) / 4 + (x[:, 1, 1] + x[:, 1, 30]) / 4
    expected_middle = (x[:, 16, 16] + x[:, 16, 15]) / 4 + (
        x[:, 15, 15] + x[:, 15, 14] + x[:, 17, 17] + x[:, 17, 16]
    ) / 8
    np.testing.assert_allclose(got, np.concatenate([expected_corner, expected_middle], 1), rtol=1e-5)


@requires_cifar
@pytest.mark.parametrize("name", CIFAR_MODELS)
def test_full_test_split_reproduces_the_card(name, backend_name, recorded):
    result = zoo.task(name).evaluate(zoo.load(name))
    card = recorded(name, backend_name)
    for key, value in card.items():
        if key in result["metrics"]:
            assert result["metrics"][key] == pytest.approx(value, abs=1.5e-3), key  # a flipped image at most


@requires_cifar
def test_tta_on_the_test_split_reproduces_the_card(backend_name):
    result = zoo.task("cifar_resnet").evaluate(zoo.load("cifar_resnet"), tta=True)
    card = hub.entry("cifar_resnet")["metrics"][backend_name]["tta"]
    assert result["split"] == card["split"] and result["tta"] is True
    assert result["metrics"]["accuracy"] == pytest.approx(card["metrics"]["accuracy"], abs=1.5e-3)


def test_predict_any_size_rgb_photo_top5(capsys, tmp_path, cifar_sample):
    x, y = cifar_sample
    path = tmp_path / "photo.png"
    Image.fromarray(x[0]).resize((97, 61)).save(path)  # an odd size: resized to 32x32
    code, out, _ = run(capsys, "predict", "cifar_resnet", str(path), "--top", "5", "--json")
    assert code == 0
    top = json.loads(out)["predictions"][0]["top"]
    assert len(top) == 5 and {t["name"] for t in top} <= set(datasets.cifar10.LABELS)
    assert sum(t["probability"] for t in top) <= 1.0 + 1e-6


def test_predict_converts_grayscale_and_refuses_a_corrupt_png(capsys, tmp_path, cifar_sample):
    gray = tmp_path / "gray.png"
    Image.fromarray(cifar_sample[0][0]).convert("L").save(gray)
    code, out, _ = run(capsys, "predict", "catdog_cnn", str(gray), "--json")
    assert code == 0 and json.loads(out)["predictions"][0]["top"][0]["name"] in ("cat", "dog")
    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(gray.read_bytes()[:60])  # a valid header, truncated pixel data
    code, _, err = run(capsys, "predict", "cifar_resnet", str(corrupt))
    assert_one_sentence_error(code, err, str(corrupt))
