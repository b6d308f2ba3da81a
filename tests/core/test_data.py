"""Datasets from their public sources: `zoo data list | download | verify` and the loaders' online step,
against an HTTP server on 127.0.0.1 laid out like the real hosts (no other network)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from pathlib import Path

import pytest

import zoo
from tests.core.test_fetch import Server, handler_for
from zoo import cli
from zoo.datasets import catalog
from zoo.fetch import DownloadError

pytestmark = pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow", reason="no backend is involved: checked once"
)
HOST = "https://raw.githubusercontent.com"
DATA = os.environ.get("ZOO_DATA_DIR")


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """(served folder, faults): a local host; the catalogue's URLs point at it; an empty cache."""
    served = tmp_path / "served"
    served.mkdir()
    faults: dict = {}
    httpd = Server(("127.0.0.1", 0), handler_for(served, faults))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    local = copy.deepcopy(catalog.entries())
    for item in local.values():
        for source in item.get("sources", {}).values():
            host = "/".join(source["url"].split("/", 3)[:3])  # https://raw.githubusercontent.com and the rest
            source["url"] = source["url"].replace(host, f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setattr(catalog, "entries", lambda: local)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ZOO_DATA_DIR", raising=False)
    yield served, faults, local
    httpd.shutdown()


def _serve(served: Path, url: str, data: bytes) -> None:
    path = served / url.split("/", 3)[3]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _toy_ohlcv(local: dict, name: str = "SPY.csv") -> tuple[bytes, bytes]:
    """(the zoo's CSV, Kaggle's upstream form of it), with the catalogue told the CSV's checksum."""
    ours = (
        b"Date,Open,High,Low,Close,Volume\n"
        b"2017-11-09,257.5,258,256.1,257.9,1000\n2017-11-10,258,258.4,257,258.1,900\n"
    )
    theirs = b"\r\n".join(
        line + (b",OpenInt" if i == 0 else b",0") for i, line in enumerate(ours.split(b"\n")[:-1])
    )
    item = next(f for f in local["prices"]["files"] if f["name"] == name)
    item.update(bytes=len(ours), sha256=hashlib.sha256(ours).hexdigest())
    return ours, theirs + b"\r\n"


def test_the_catalogue_describes_every_dataset():
    assert set(catalog.names()) >= {"mnist", "cifar10", "pneumoniamnist", "breastmnist", "tinyshakespeare",
                                    "anime", "prices"}  # fmt: skip
    for name in catalog.names():
        item = catalog.entry(name)
        assert item["license"] and item["upstream"] and item["files"]
        for f in item["files"]:
            assert len(f["sha256"]) == 64 and f["bytes"] > 0
        for filename, source in item.get("sources", {}).items():
            assert filename in {f["name"] for f in item["files"]} and source["url"].startswith("https://")
            assert source.get("convert") in (None, *catalog.CONVERTERS)
        assert {f["name"] for f in item["files"]} == set(item["sources"])  # every file has a download


def test_a_converted_download_is_byte_for_byte_the_catalogues(upstream, tmp_path):
    served, _, local = upstream
    ours, theirs = _toy_ohlcv(local)
    _serve(served, local["prices"]["sources"]["SPY.csv"]["url"], theirs)
    path = catalog.fetch("prices", "SPY.csv", into=tmp_path / "data", progress=False)
    assert path == tmp_path / "data" / "prices" / "SPY.csv" and path.read_bytes() == ours
    from zoo.datasets import prices

    assert prices.load("SPY", data_dir=tmp_path / "data").close[-1] == pytest.approx(258.1)


def test_a_changed_upstream_is_refused_and_nothing_is_left(upstream, tmp_path):
    served, _, local = upstream
    _, theirs = _toy_ohlcv(local)
    _serve(served, local["prices"]["sources"]["SPY.csv"]["url"], theirs.replace(b"258.1", b"999"))
    with pytest.raises(DownloadError, match=r"the upstream file \(or its layout\) has changed"):
        catalog.fetch("prices", "SPY.csv", into=tmp_path / "data", progress=False)
    assert list((tmp_path / "data" / "prices").iterdir()) == []


def test_the_loaders_download_into_the_cache_when_the_data_is_missing(upstream, tmp_path):
    served, faults, local = upstream
    text = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 50
    item = local["tinyshakespeare"]["files"][0]
    item.update(bytes=len(text.encode()), sha256=hashlib.sha256(text.encode()).hexdigest())
    _serve(served, local["tinyshakespeare"]["sources"]["input.txt"]["url"], text.encode())
    faults["cut_after"] = 500  # the first transfer breaks off: resumed with a Range request
    val, _ = zoo.datasets.load("tinyshakespeare", "val")
    assert (
        text.endswith(val) and (tmp_path / "cache" / "datasets" / "tinyshakespeare" / "input.txt").is_file()
    )
    assert any(rng for _, rng in faults["requests"])
    again, _ = zoo.datasets.load("tinyshakespeare", "val")  # from the cache now: no new request
    assert again == val and len(faults["requests"]) == 2


def test_unreachable_and_missing_sources_are_one_sentence(upstream, tmp_path, monkeypatch):
    _, _, local = upstream
    with pytest.raises(zoo.datasets.DatasetNotFound, match=r"its download failed \(.*HTTP 404") as info:
        zoo.datasets.load("breastmnist", "test")
    assert "zoo data download breastmnist" in str(info.value) and "\n" not in str(info.value)
    local["breastmnist"]["sources"]["breastmnist.npz"]["url"] = "http://127.0.0.1:1/breastmnist.npz"
    with pytest.raises(zoo.datasets.DatasetNotFound, match="no connection"):
        zoo.datasets.load("breastmnist", "test")
    del local["anime"]["sources"]["items.csv"]
    with pytest.raises(DownloadError, match="no download wired"):
        catalog.fetch("anime", "items.csv")
    (tmp_path / "locked").mkdir(mode=0o500)
    if os.getuid() != 0:  # root writes anywhere
        with pytest.raises(DownloadError, match="cannot write"):
            catalog.fetch("breastmnist", "breastmnist.npz", into=tmp_path / "locked")


def test_zoo_data_list_and_verify(upstream, tmp_path, capsys):
    served, _, local = upstream
    ours, theirs = _toy_ohlcv(local)
    _serve(served, local["prices"]["sources"]["SPY.csv"]["url"], theirs)
    catalog.fetch("prices", "SPY.csv", into=tmp_path / "data", progress=False)
    assert cli.main(["data", "verify", "prices", "--dir", str(tmp_path / "data"), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    spy = next(f for f in row["files"] if f["name"] == "SPY.csv")
    assert spy["ok"] is True and spy["downloadable"] and row["license"].startswith("stocks CC0")
    assert all(f["path"] is None for f in row["files"] if f["name"] != "SPY.csv")
    (tmp_path / "data" / "prices" / "SPY.csv").write_bytes(ours.replace(b"258.1", b"258.2"))
    assert cli.main(["data", "verify", "prices", "--dir", str(tmp_path / "data")]) == 2
    assert "wrong sha256: prices/SPY.csv" in capsys.readouterr().err
    assert cli.main(["data", "list", "nope"]) == 2


@pytest.mark.skipif(not DATA, reason="the real dataset files (ZOO_DATA_DIR) are not on this machine")
def test_the_real_files_download_and_verify(upstream, tmp_path, capsys):
    """The real files, served as their hosts lay them out (the stocks in Kaggle's form), come down
    byte for byte: `zoo data download` then `zoo data verify` on a fresh folder."""
    served, _, local = upstream
    real = Path(DATA)
    _serve(
        served,
        local["tinyshakespeare"]["sources"]["input.txt"]["url"],
        (real / "tinyshakespeare" / "input.txt").read_bytes(),
    )
    _serve(
        served,
        local["breastmnist"]["sources"]["breastmnist.npz"]["url"],
        (real / "breastmnist" / "breastmnist.npz").read_bytes(),
    )
    csv = (real / "prices" / "IBM.csv").read_bytes()
    kaggle = b"\r\n".join(
        line + (b",OpenInt" if i == 0 else b",0") for i, line in enumerate(csv.split(b"\n")[:-1])
    )
    _serve(served, local["prices"]["sources"]["IBM.csv"]["url"], kaggle + b"\r\n")
    for name in list(local["prices"]["sources"]):
        if name != "IBM.csv":
            del local["prices"]["sources"][name]
    target = tmp_path / "fresh"
    assert (
        cli.main(["data", "download", "tinyshakespeare", "breastmnist", "prices", "--dir", str(target)]) == 0
    )
    assert "breastmnist/breastmnist.npz: 559,580 bytes, sha256 verified" in capsys.readouterr().err
    assert cli.main(["data", "verify", "tinyshakespeare", "breastmnist", "--dir", str(target), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(f["ok"] for row in rows for f in row["files"])
    assert (target / "prices" / "IBM.csv").read_bytes() == csv


def test_naming_only_datasets_without_a_download_is_refused(upstream, capsys):
    upstream[2]["anime"]["sources"].clear()
    assert cli.main(["data", "download", "anime"]) == 2
    err = capsys.readouterr().err
    assert "anime: 3 file(s) have no download wired" in err and "nothing here could be downloaded" in err


def test_an_upstream_that_is_not_text_is_one_sentence(upstream, tmp_path):
    served, _, local = upstream
    _toy_ohlcv(local)
    _serve(served, local["prices"]["sources"]["SPY.csv"]["url"], b"\xff\xfe<html>error</html>")
    with pytest.raises(DownloadError, match="is not the file expected"):
        catalog.fetch("prices", "SPY.csv", into=tmp_path / "data", progress=False)
    assert list((tmp_path / "data" / "prices").iterdir()) == []
