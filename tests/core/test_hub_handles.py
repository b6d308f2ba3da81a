"""hf:// handles: weights (ZOO_WEIGHTS_URL=hf://ORG/REPO) and model directories (zoo.load("hf://ORG/REPO"))
from a Hugging Face Hub, here a local one on 127.0.0.1 that answers as the Hub does (HF_ENDPOINT)."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading

import numpy as np
import pytest

import zoo
from tests.core.test_fetch import empty_install  # noqa: F401  (a fixture)
from zoo.core import hub, model_dir
from zoo.fetch import DownloadError, download, parse_hub

pytestmark = pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow", reason="no backend is involved: checked once"
)


@pytest.fixture
def local_hub(tmp_path, monkeypatch):
    """(folder of repositories, requests): ORG/REPO/FILE is served at /ORG/REPO/resolve/REVISION/FILE."""
    repos, requests = tmp_path / "hub", []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, body: bool):
            parts = self.path.split("?")[0].lstrip("/").split("/")
            requests.append(self.path)
            if len(parts) < 5 or parts[2] != "resolve":
                return self.send_error(404)
            path = repos.joinpath(parts[0], parts[1], *parts[4:])
            if not path.is_file():
                return self.send_error(404)
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
            self.send_header("X-Repo-Commit", "0" * 40)
            self.end_headers()
            if body:
                self.wfile.write(data)

        def do_HEAD(self):  # noqa: N802
            self._answer(body=False)

        def do_GET(self):  # noqa: N802
            self._answer(body=True)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    yield repos, requests
    httpd.shutdown()


def test_handles_parse():
    assert parse_hub("hf://org/repo") == ("org/repo", None, "")
    assert parse_hub("hf://org/repo@v2/sub/x.h5") == ("org/repo", "v2", "sub/x.h5")
    with pytest.raises(DownloadError, match="not a Hugging Face handle"):
        parse_hub("hf://justone")


def test_weights_from_a_hub_repository(local_hub, empty_install, monkeypatch):  # noqa: F811
    repos, requests = local_hub
    record = hub.entry("mnist_mlp")
    (repos / "org" / "weights").mkdir(parents=True)
    shutil.copyfile(_shipped(record["file"]), repos / "org" / "weights" / record["file"])
    monkeypatch.setenv("ZOO_WEIGHTS_URL", "hf://org/weights")
    model = zoo.load("mnist_mlp")
    assert hub.locate("mnist_mlp")[0] == "cache" and any(record["file"] in r for r in requests)
    x, _ = zoo.datasets.load_sample("mnist")
    assert np.asarray(model.predict(x[:2], verbose=0)).shape == (2, 10)


def test_a_wrong_or_missing_hub_file_is_refused_and_not_kept(local_hub, tmp_path):
    repos, _ = local_hub
    (repos / "org" / "r").mkdir(parents=True)
    (repos / "org" / "r" / "f.bin").write_bytes(b"not the file")
    with pytest.raises(DownloadError, match="the file received has sha256"):
        download("hf://org/r/f.bin", tmp_path / "out" / "f.bin", "0" * 64)
    with pytest.raises(DownloadError, match=r"could not download hf://org/r/none.bin \(.*not on the Hub"):
        download("hf://org/r/none.bin", tmp_path / "out" / "none.bin", None)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_a_model_directory_from_the_hub(local_hub, tmp_path):
    repos, _ = local_hub
    folder = repos / "me" / "digits"
    card = zoo.card("mnist_mlp")
    record = {"name": "digits", "base": "mnist_mlp", "task": "classification", "config": card["config"],
              "task_class": model_dir.task_reference(zoo.task("mnist_mlp").__class__),
              "labels": list(card["labels"])}  # fmt: skip
    model_dir.write(folder, zoo.load("mnist_mlp"), record)
    loaded = zoo.load("hf://me/digits")
    x, _ = zoo.datasets.load_sample("mnist")
    want = zoo.load("mnist_mlp").predict(x[:3], verbose=0)
    assert np.allclose(loaded.predict(x[:3], verbose=0), want)
    assert zoo.card("hf://me/digits")["name"] == "digits"
    assert (tmp_path / "cache" / "models" / "me--digits" / "model.json").is_file()
    with pytest.raises(model_dir.ModelDirError, match="hf://me/nothing is not a model directory here"):
        zoo.load("hf://me/nothing")
    assert sorted(p.name for p in (tmp_path / "cache" / "models").iterdir()) == ["me--digits"]  # no .part


def _shipped(file: str):
    from pathlib import Path

    return Path(zoo.__file__).parent / "weights" / file


def test_a_hub_model_directory_that_cannot_be_checked_is_not_kept(local_hub, tmp_path):
    repos, _ = local_hub
    folder = repos / "me" / "unchecked"
    card = zoo.card("mnist_mlp")
    record = {"name": "x", "base": "mnist_mlp", "task": "classification", "config": card["config"],
              "task_class": model_dir.task_reference(zoo.task("mnist_mlp").__class__)}  # fmt: skip
    written = model_dir.write(folder, zoo.load("mnist_mlp"), record)
    (folder / "model.json").write_text(json.dumps({**written, "weights": {"file": "model.weights.h5"}}))
    with pytest.raises(model_dir.ModelDirError, match="names no sha256 for its weights"):
        zoo.load("hf://me/unchecked")
    (folder / "model.json").write_text(json.dumps({**written, "base": "no_such_model"}))
    with pytest.raises(model_dir.ModelDirError, match="hf://me/unchecked cannot be used: unknown model"):
        zoo.load("hf://me/unchecked")
    assert not (tmp_path / "cache" / "models").exists() or not any((tmp_path / "cache" / "models").iterdir())
