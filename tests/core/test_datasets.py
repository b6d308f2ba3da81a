"""Dataset lookup: data_dir= -> $ZOO_DATA_DIR/<name>/ -> online -> a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import requires_full_mnist
from zoo import datasets


def test_explicit_data_dir_wins(tiny_mnist_dir, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", "/nonexistent")
    x, y = datasets.load("mnist", "train", data_dir=tiny_mnist_dir)
    assert x.shape == (400, 28, 28) and x.dtype == np.uint8 and y.shape == (400,)
    x, _ = datasets.load("mnist", "test", data_dir=tiny_mnist_dir / "mnist")  # the folder itself
    assert len(x) == 100


def test_zoo_data_dir_is_used(tiny_mnist_dir, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(tiny_mnist_dir))
    x, _ = datasets.load("mnist", "test", limit=10)
    assert x.shape == (10, 28, 28)


def test_missing_everywhere_names_the_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))  # nothing downloaded before
    monkeypatch.setenv("ZOO_OFFLINE", "1")  # the download is refused before any connection
    with pytest.raises(datasets.DatasetNotFound, match=f"put mnist.npz at {tmp_path}/mnist/") as info:
        datasets.load("mnist")
    assert "ZOO_OFFLINE is set" in str(info.value) and "zoo data download mnist" in str(info.value)


def test_unknown_names_and_splits():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        datasets.load("imagenet")
    with pytest.raises(ValueError, match="no split 'dev'"):
        datasets.load("mnist", "dev")


def test_bundled_sample_is_real_mnist_test_digits(mnist_sample):
    x, y = mnist_sample
    assert x.shape == (500, 28, 28) and x.dtype == np.uint8
    assert set(np.unique(y)) == set(range(10))


@requires_full_mnist
def test_full_mnist_and_sample_agree():
    x, y = datasets.load("mnist", "test")
    assert x.shape == (10_000, 28, 28) and np.bincount(y)[1] == 1135
    xs, ys = datasets.load_sample("mnist")
    index = np.load(datasets.samples.sample_path("mnist"))["test_index"]
    np.testing.assert_array_equal(x[index], xs)
    np.testing.assert_array_equal(y[index], ys)


def test_diabetes_split_is_fixed():
    x_train, y_train = datasets.load("diabetes", "train")
    x_test, _ = datasets.load("diabetes", "test")
    assert x_train.shape == (354, 10) and x_test.shape == (88, 10)
    np.testing.assert_array_equal(datasets.load("diabetes", "train")[1], y_train)
