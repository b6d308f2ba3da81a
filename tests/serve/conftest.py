"""Fixtures of the serving tests: a Service over the models with pages, and its API as a TestClient."""

from __future__ import annotations

import io

import keras
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="`zoo serve` needs the serve extra: pip install 'kerazoo[serve]'")

# HTTP plumbing, databases and the browser exercise no backend-specific code: they run in one pass.
ONCE = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="backend-independent: run once")

SERVED = ["mnist_mlp", "pneumonia_resnet", "char_gpt", "dcgan_mnist", "dqn_cartpole", "two_tower",
          "ts_transformer", "linear_regression"]  # fmt: skip


def png(array: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, "uint8").squeeze()).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def service(tmp_path_factory):
    from zoo.serve.service import Service

    db = tmp_path_factory.mktemp("serve") / "feedback.db"
    return Service(SERVED, db=f"sqlite:///{db}")


@pytest.fixture(scope="session")
def client(service):
    from fastapi.testclient import TestClient

    from zoo.serve.app import create_app

    with TestClient(create_app(service, pages=False), raise_server_exceptions=False) as client:
        yield client
