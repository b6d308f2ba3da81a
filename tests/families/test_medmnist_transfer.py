"""The MedMNIST transfer models (cifar_resnet's network started from its CIFAR-10 weights): the front
that makes a 28x28 grayscale image CIFAR-like, the weights carried over, a short training run, and the
shipped weights against their card."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.conftest import auc_floor, full_data, sample_threshold
from zoo import datasets
from zoo.core import hub, registry
from zoo.families.cifar import medmnist_transfer

TRANSFER = {"breast_cifar_resnet": "breastmnist"}


@pytest.fixture(scope="module")
def breast_sample():
    return datasets.load_sample("breastmnist")


def test_front_resizes_to_32_and_copies_gray_to_rgb(breast_sample):
    model = registry.get("breast_cifar_resnet").build()
    front = keras.Model(model.inputs, model.get_layer("rgb").output)
    x = breast_sample[0][:4]
    rgb = np.asarray(front.predict(x, verbose=0))
    assert rgb.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 1])
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    assert 0 <= rgb.min() and rgb.max() <= 255  # bilinear: no overshoot
    flat = np.asarray(front.predict(np.full((1, 28, 28), 77, "uint8"), verbose=0))
    np.testing.assert_allclose(flat, 77.0, atol=1e-4)  # a constant image stays that constant


def test_a_direct_call_runs_in_inference_mode(breast_sample):
    """keras.layers.Resizing in front made `model(x)` run BatchNorm in training mode (and so the
    SavedModel export) on TensorFlow; the model's own resizing layer does not."""
    model = zoo.load("breast_cifar_resnet")
    x = breast_sample[0][:16].astype("float32")[..., None]
    called = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(called, np.asarray(model.predict(x, verbose=0)), atol=1e-5)


def test_start_from_base_copies_every_layer_but_the_head():
    model = registry.get("breast_cifar_resnet").build()
    assert medmnist_transfer.start_from_base(model) == ["head"]
    base = zoo.load("cifar_resnet")
    for name in ("whiten", "whiten_bias", "group1_conv1", "group2_bn1", "group3_conv2"):
        pairs = zip(model.get_layer(name).get_weights(), base.get_layer(name).get_weights(), strict=True)
        for mine, theirs in pairs:
            np.testing.assert_array_equal(mine, theirs)
    assert tuple(model.get_layer("head").kernel.shape) == (256, 1)


def test_start_from_base_refuses_a_network_of_other_shapes():
    model = registry.get("breast_cifar_resnet").build({"widths": [32, 256, 256]})
    with pytest.raises(ValueError, match="group1_conv1"):
        medmnist_transfer.start_from_base(model)


def test_training_starts_from_the_cifar_weights(tmp_path, breast_sample):
    x, y = breast_sample
    folder = tmp_path / "breastmnist"
    folder.mkdir()
    splits = {"train": slice(0, 64), "val": slice(64, 96), "test": slice(96, 156)}
    arrays = {f"{split}_images": x[rows] for split, rows in splits.items()}
    arrays.update({f"{split}_labels": y[rows].reshape(-1, 1) for split, rows in splits.items()})
    np.savez(folder / "breastmnist.npz", **arrays)
    result = zoo.train(
        "breast_cifar_resnet", epochs=1, data_dir=tmp_path, out_dir=tmp_path / "run", verbose=0
    )
    assert np.isfinite(result["history"]["loss"][0]) and "val_auc" in result["history"]
    trained = zoo.load("breast_cifar_resnet", weights=result["weights"])
    # two steps of AdamW at <= 3e-4 move each weight by about 1e-3 at most; a fresh init is ~0.1 away
    kernels = [m.get_layer("group2_conv1").get_weights()[0] for m in (trained, zoo.load("cifar_resnet"))]
    assert 0 < np.abs(kernels[0] - kernels[1]).max() < 1e-2


@pytest.mark.parametrize("name", sorted(TRANSFER))
def test_shipped_weights_on_the_bundled_test_sample(name, backend_name):
    x, labels = datasets.load_sample(TRANSFER[name])
    measured = zoo.task(name).metrics(zoo.load(name), x, labels)
    recorded = hub.entry(name)["metrics"][backend_name]["metrics"]
    assert measured["accuracy"] >= sample_threshold(recorded["accuracy"], len(labels))
    assert measured["auc"] >= auc_floor(recorded["auc"], int((labels == 1).sum()), int((labels == 0).sum()))


@pytest.mark.skipif(
    not full_data("breastmnist", "breastmnist.npz"),
    reason="BreastMNIST ($ZOO_DATA_DIR/breastmnist/breastmnist.npz) not found: the full check needs it",
)
def test_full_test_split_reproduces_the_card(backend_name):
    result = zoo.task("breast_cifar_resnet").evaluate(zoo.load("breast_cifar_resnet"), split="test")
    recorded = hub.entry("breast_cifar_resnet")["metrics"][backend_name]
    assert result["n"] == recorded["n"] == 156
    for key in ("accuracy", "auc"):
        assert result["metrics"][key] == pytest.approx(recorded["metrics"][key], abs=1e-6)
