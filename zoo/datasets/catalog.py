"""The catalogue of the datasets the zoo trains and measures on: their files (bytes, sha256), where
they come from, their licenses, and how to fetch them (`zoo data list | download | verify`).

A file is looked for in `data_dir`, then $ZOO_DATA_DIR/<name>/, then the user cache
($ZOO_CACHE_DIR/datasets/<name>/, default ~/.cache/kerazoo/datasets). `download` fetches every file
that has a public source from that source at a fixed commit, converts it where the zoo's layout differs
(catalog.json says how), and keeps it only when its sha256 is the catalogue's: the result is byte for
byte the file the zoo was measured on.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

from zoo.fetch import DownloadError, download, sha256

CATALOG = Path(__file__).with_name("catalog.json")


@functools.cache
def entries() -> dict:
    """{dataset: {"title", "license", "upstream", "files": [{"name", "bytes", "sha256"}], "sources"?}}."""
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def names() -> list[str]:
    return sorted(entries())


def entry(name: str) -> dict:
    if name not in entries():
        raise ValueError(f"unknown dataset {name!r}; datasets: {', '.join(names())}.")
    return entries()[name]


def cache_dir() -> Path:
    """Where `zoo data download` puts datasets: $ZOO_CACHE_DIR/datasets, default ~/.cache/kerazoo/datasets."""
    return Path(os.environ.get("ZOO_CACHE_DIR") or Path.home() / ".cache" / "kerazoo") / "datasets"


def places(name: str, data_dir=None) -> list[Path]:
    """The folders a dataset's files are looked for in, in order."""
    if data_dir is not None:  # an explicit folder is the only place looked (as the loaders do)
        return [Path(data_dir), Path(data_dir) / name]
    folders = []
    if os.environ.get("ZOO_DATA_DIR"):
        folders.append(Path(os.environ["ZOO_DATA_DIR"]) / name)
    return [*folders, cache_dir() / name]


def locate(name: str, filename: str, data_dir=None) -> Path | None:
    return next((f / filename for f in places(name, data_dir) if (f / filename).is_file()), None)


def status(name: str, data_dir=None, check: bool = False) -> list[dict]:
    """Each file of a dataset: where it is (or None) and, with `check`, whether its sha256 is right."""
    rows = []
    for item in entry(name)["files"]:
        path = locate(name, item["name"], data_dir)
        row = {**item, "path": str(path) if path else None, "downloadable": item["name"] in _sources(name)}
        if check and path is not None:
            row["ok"] = path.stat().st_size == item["bytes"] and sha256(path) == item["sha256"]
        rows.append(row)
    return rows


def fetch(name: str, filename: str, into=None, progress: bool = True) -> Path:
    """Download one file of a dataset from its public source into `into`/<name>/ (default the cache),
    converted to the zoo's layout and sha256-checked; returns its path."""
    item = next((f for f in entry(name)["files"] if f["name"] == filename), None)
    if item is None:
        raise ValueError(f"dataset {name!r} has no file {filename!r}.")
    source = _sources(name).get(filename)
    if source is None:
        how = entry(name).get("without_download", "see its upstream in `zoo data list`")
        raise DownloadError(f"{name}/{filename} has no download wired; {how}.")
    folder = Path(into) / name if into is not None else cache_dir() / name
    target = folder / filename
    convert = source.get("convert")
    if convert is None:  # the upstream file is the zoo's, byte for byte
        return download(source["url"], target, item["sha256"], item["bytes"], progress=progress)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot write into {folder} ({exc.strerror}).") from None
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
        raw = download(source["url"], Path(scratch) / "upstream", None, progress=progress)
        converted = Path(scratch) / filename
        try:
            converted.write_bytes(CONVERTERS[convert](raw.read_bytes()))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DownloadError(
                f"{source['url']} is not the text file expected ({type(exc).__name__})."
            ) from None
        found = sha256(converted)
        if found != item["sha256"]:
            raise DownloadError(
                f"{source['url']} converted to {filename} has sha256 {found[:16]}..., expected "
                f"{item['sha256'][:16]}...; the upstream file (or its layout) has changed."
            )
        os.replace(converted, target)
    return target


def download_all(name: str, into=None, log=print, progress: bool = True) -> list[Path]:
    """Every downloadable file of a dataset not already present (and right) where it would go."""
    written = []
    folder = Path(into) / name if into is not None else cache_dir() / name
    for item in entry(name)["files"]:
        if item["name"] not in _sources(name):
            continue
        target = folder / item["name"]
        if target.is_file() and sha256(target) == item["sha256"]:
            continue
        written.append(fetch(name, item["name"], into, progress))
        log(f"{name}/{item['name']}: {item['bytes']:,} bytes, sha256 verified")
    return written


def not_downloadable(name: str, data_dir=None) -> list[str]:
    """The files of a dataset that are neither here nor downloadable."""
    return [f["name"] for f in entry(name)["files"]
            if f["name"] not in _sources(name) and locate(name, f["name"], data_dir) is None]  # fmt: skip


def _sources(name: str) -> dict:
    return entry(name).get("sources", {})


def _kaggle_ohlcv(data: bytes) -> bytes:
    """Kaggle's `<ticker>.us.txt` (Date,Open,High,Low,Close,Volume,OpenInt, CRLF) -> the zoo's CSV:
    the always-zero OpenInt column dropped, LF line endings; values copied as text."""
    lines = data.decode("ascii").replace("\r\n", "\n").strip("\n").split("\n")
    return ("\n".join(",".join(line.split(",")[:6]) for line in lines) + "\n").encode("ascii")


def _price_to_close(data: bytes) -> bytes:
    """datasets/oil-prices' `Date,Price` -> `Date,Close`; nothing else changes."""
    header, _, rest = data.decode("ascii").partition("\n")
    if header.strip() != "Date,Price":
        raise DownloadError(f"the oil price file's header is {header.strip()!r}, expected 'Date,Price'.")
    return f"Date,Close\n{rest}".encode("ascii")


CONVERTERS = {"kaggle_ohlcv": _kaggle_ohlcv, "price_to_close": _price_to_close}
