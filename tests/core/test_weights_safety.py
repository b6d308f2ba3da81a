"""A corrupt, truncated or foreign weights file is refused before any variable changes."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import zoo
from zoo.core import hub


def _snapshot(model):
    return [np.array(w) for w in model.get_weights()]


def _assert_untouched(model, before):
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


@pytest.fixture
def shipped(tmp_path):
    path = tmp_path / "mnist_mlp.weights.h5"
    shutil.copyfile(hub.weights_path("mnist_mlp"), path)
    return path, hub.entry("mnist_mlp")["sha256"]


def test_truncated_file_is_refused(shipped):
    path, sha = shipped
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    model = zoo.load("mnist_mlp", weights=None)
    before = _snapshot(model)
    with pytest.raises(hub.WeightsError, match=f"{path}.*sha256 [0-9a-f]{{64}}, expected {sha}"):
        hub.load_weights(model, path, expected_sha256=sha)
    with pytest.raises(hub.WeightsError, match="not a readable .weights.h5 file"):
        hub.load_weights(model, path)  # without a hash the layout check still refuses it
    _assert_untouched(model, before)


def test_flipped_byte_is_refused(shipped):
    path, sha = shipped
    data = bytearray(path.read_bytes())
    data[len(data) - 100] ^= 0xFF  # inside the stored arrays, not the header
    path.write_bytes(bytes(data))
    model = zoo.load("mnist_mlp", weights=None)
    before = _snapshot(model)
    with pytest.raises(hub.WeightsError, match="corrupt or not the shipped file"):
        hub.load_weights(model, path, expected_sha256=sha)
    _assert_untouched(model, before)


def test_weights_of_another_model_are_refused():
    model = zoo.load("mnist_mlp", weights=None)
    before = _snapshot(model)
    with pytest.raises(hub.WeightsError, match="does not fit model 'mnist_mlp'"):
        hub.load_weights(model, hub.weights_path("mnist_cnn"))
    _assert_untouched(model, before)


def test_same_layout_but_different_shape_is_refused(tmp_path):
    other = zoo.api.registry.get("mnist_mlp").build({"hidden": 64})
    path = hub.save_weights(other, tmp_path / "narrow.weights.h5")
    model = zoo.load("mnist_mlp", weights=None)
    with pytest.raises(hub.WeightsError, match=r"has shape \(784, 64\), expected \(784, 128\)"):
        hub.load_weights(model, path)


def test_shipped_file_swapped_for_another_models_is_refused(tmp_path, monkeypatch):
    weights_dir = tmp_path / "weights"
    shutil.copytree(hub.WEIGHTS_DIR, weights_dir)
    shutil.copyfile(weights_dir / "mnist_cnn.weights.h5", weights_dir / "mnist_mlp.weights.h5")
    monkeypatch.setattr(hub, "WEIGHTS_DIR", weights_dir)
    with pytest.raises(hub.WeightsError, match="mnist_mlp.weights.h5 is corrupt or not the shipped"):
        zoo.load("mnist_mlp")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(hub.WeightsError, match="does not exist"):
        zoo.load("mnist_mlp", weights=tmp_path / "nope.weights.h5")
