"""Weights from where they live: the lookup chain and verified downloads, against a real HTTP server
on 127.0.0.1 serving the real weights files (no other network)."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import threading
from pathlib import Path

import pytest

import zoo
from zoo import cli, fetch
from zoo.core import hub

pytestmark = pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow", reason="no backend is involved: checked once"
)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def handler_for(folder: Path, faults: dict):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):  # noqa: N802  (http.server's name)
            name = self.path.lstrip("/")
            faults.setdefault("requests", []).append((name, self.headers.get("Range")))
            path = folder / name
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            start = 0
            if self.headers.get("Range"):
                start = int(self.headers["Range"].split("=")[1].split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            body = data[start:]
            cut = faults.pop("cut_after", None)  # drop the connection part-way, once
            self.wfile.write(body[:cut] if cut is not None else body)

    return Handler


@pytest.fixture
def server(tmp_path):
    """(base URL, served folder, faults) of a server holding real weights files."""
    served = tmp_path / "served"
    served.mkdir()
    for name in ("mnist_mlp", "linear_regression"):
        shutil.copyfile(hub.WEIGHTS_DIR / hub.entry(name)["file"], served / hub.entry(name)["file"])
    faults: dict = {}
    httpd = Server(("127.0.0.1", 0), handler_for(served, faults))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served, faults
    httpd.shutdown()


@pytest.fixture
def empty_install(tmp_path, monkeypatch):
    """A package without weights files (a wheel leaves the big ones out) and an empty user cache."""
    package = tmp_path / "package"
    package.mkdir()
    shutil.copyfile(hub.MANIFEST, package / "manifest.json")
    monkeypatch.setattr(hub, "WEIGHTS_DIR", package)
    monkeypatch.setattr(hub, "MANIFEST", package / "manifest.json")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ZOO_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("ZOO_WEIGHTS_URL", raising=False)
    return tmp_path / "cache" / "weights"


def record(name: str) -> dict:
    return hub.entry(name)


def test_a_download_is_verified_and_loads(server, empty_install, monkeypatch):
    url, _, _ = server
    monkeypatch.setenv("ZOO_WEIGHTS_URL", url)
    model = zoo.load("mnist_mlp")
    assert (empty_install / record("mnist_mlp")["file"]).is_file() and model.count_params() == 101_770
    assert sorted(p.name for p in empty_install.iterdir()) == [record("mnist_mlp")["file"]]


def test_a_checksum_mismatch_is_refused_and_leaves_nothing(server, tmp_path):
    url, served, _ = server
    wrong = record("linear_regression")["file"]
    with pytest.raises(fetch.DownloadError, match="sha256"):
        fetch.download(
            f"{url}/{wrong}", tmp_path / "c" / "x.weights.h5", record("mnist_mlp")["sha256"], retries=2
        )
    assert list((tmp_path / "c").iterdir()) == []


def test_a_truncated_transfer_is_resumed_with_a_range_request(server, tmp_path):
    url, _, faults = server
    file = record("mnist_mlp")["file"]
    faults["cut_after"] = 100_000
    target = fetch.download(
        f"{url}/{file}", tmp_path / "c" / file, record("mnist_mlp")["sha256"], record("mnist_mlp")["bytes"]
    )
    assert hub.sha256(target) == record("mnist_mlp")["sha256"]
    assert [r for _, r in faults["requests"]] == [None, "bytes=100000-"]


def test_an_interrupted_download_continues_from_its_part_file(server, tmp_path):
    url, served, faults = server
    file = record("mnist_mlp")["file"]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / f"{file}.part").write_bytes(
        (served / file).read_bytes()[:50_000]
    )  # a killed run's part
    fetch.download(
        f"{url}/{file}", tmp_path / "c" / file, record("mnist_mlp")["sha256"], record("mnist_mlp")["bytes"]
    )
    assert faults["requests"] == [(file, "bytes=50000-")]
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [file]


def test_a_404_fails_at_once_with_one_sentence(server, tmp_path):
    url, _, faults = server
    with pytest.raises(fetch.DownloadError, match="HTTP 404"):
        fetch.download(f"{url}/nope.weights.h5", tmp_path / "c" / "nope.weights.h5", "0" * 64, retries=3)
    assert len(faults["requests"]) == 1 and list((tmp_path / "c").iterdir()) == []


def test_no_network_names_the_file_its_size_and_where_to_put_it(empty_install, monkeypatch, capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ZOO_WEIGHTS_URL", f"http://127.0.0.1:{port}")
    assert cli.main(["eval", "mnist_mlp", "--sample"]) == 2
    err = capsys.readouterr().err
    assert "mnist_mlp.weights.h5, 0.4 MB" in err and "no connection" in err and str(empty_install) in err
    assert len(err.strip().splitlines()) == 1 and not list(empty_install.iterdir())


def test_offline_with_nothing_cached_says_what_to_do(empty_install, capsys):
    assert cli.main(["eval", "mnist_mlp", "--sample"]) == 2
    err = capsys.readouterr().err
    assert "are not in this installation" in err and "ZOO_WEIGHTS_URL" in err and str(empty_install) in err


def test_a_cache_folder_that_cannot_be_written_is_one_sentence(server, tmp_path):
    url, _, _ = server
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    file = record("mnist_mlp")["file"]
    with pytest.raises(fetch.DownloadError, match="cannot write into the cache folder"):
        fetch.download(f"{url}/{file}", blocker / "weights" / file, record("mnist_mlp")["sha256"])


def test_a_local_mirror_comes_before_the_package(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copyfile(hub.WEIGHTS_DIR / record("mnist_mlp")["file"], mirror / record("mnist_mlp")["file"])
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(mirror))
    assert hub.locate("mnist_mlp") == ("mirror", mirror / record("mnist_mlp")["file"])
    assert hub.locate("mnist_cnn")[0] == "package"


def test_weights_commands_list_download_verify_prune(server, empty_install, monkeypatch, capsys):
    url, _, _ = server
    monkeypatch.setenv("ZOO_WEIGHTS_URL", url)
    assert cli.main(["weights", "download", "mnist_mlp", "linear_regression"]) == 0
    capsys.readouterr()
    assert cli.main(["weights", "verify", "mnist_mlp", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["state"] == "ok"
    (empty_install / "stray.weights.h5").write_bytes(b"x")
    (empty_install / record("linear_regression")["file"]).write_bytes(b"damaged")
    assert cli.main(["weights", "verify", "linear_regression"]) == 2
    assert "corrupt weights files: linear_regression" in capsys.readouterr().err
    assert cli.main(["weights", "prune", "--json"]) == 0
    removed = {Path(p).name for p in json.loads(capsys.readouterr().out)["removed"]}
    assert removed == {"stray.weights.h5", record("linear_regression")["file"]}
    assert cli.main(["weights", "list", "--json"]) == 0
    rows = {r["model"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["mnist_mlp"]["where"] == "cache" and rows["linear_regression"]["where"] == "missing"


def test_the_wheel_leaves_out_exactly_the_large_files():
    """pyproject's exclude list is the rule `zoo weights list` reports (IN_WHEEL_MAX_BYTES)."""
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    excluded = {Path(p).name for p in config["tool"]["setuptools"]["exclude-package-data"]["zoo"]}
    large = {r["file"] for r in hub.manifest().values() if r["bytes"] > hub.IN_WHEEL_MAX_BYTES}
    assert excluded == large
