"""The catalogue of the datasets the zoo trains and measures on: their files (bytes, sha256), where
they come from, their licenses, and how to fetch them (`zoo data list | download | verify`).

A file is looked for in `data_dir`, then $ZOO_DATA_DIR/<name>/, then the user cache
($ZOO_CACHE_DIR/datasets/<name>/, default ~/.cache/kerazoo/datasets). `download` fetches every file
that has a public source from that source (at a fixed commit, or with the sha256 its host publishes),
converts it where the zoo's layout differs (catalog.json says how), and keeps it only when it is the
catalogue's: byte for byte the file the zoo was measured on, or for an .npz the same arrays (sha256 of
its arrays: compression makes the zip's bytes vary).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import pickle
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

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
    """Each file of a dataset: where it is (or None) and, with `check`, whether it is the catalogue's."""
    rows = []
    for item in entry(name)["files"]:
        path = locate(name, item["name"], data_dir)
        row = {**item, "path": str(path) if path else None, "downloadable": item["name"] in _sources(name)}
        if check and path is not None:
            row["ok"] = matches(path, item)
        rows.append(row)
    return rows


def matches(path: Path, item: dict) -> bool:
    """Whether a file is the catalogue's: its sha256, or for an .npz the sha256 of its arrays (a copy
    compressed again, or Keras's copy of MNIST, holds the same arrays in other bytes)."""
    if path.stat().st_size == item["bytes"] and sha256(path) == item["sha256"]:
        return True
    if "arrays_sha256" not in item:
        return False
    try:
        return arrays_sha256(path) == item["arrays_sha256"]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, TypeError, AttributeError):
        return False  # not an .npz of arrays (e.g. a .npy under the name)


def arrays_sha256(path: Path) -> str:
    """sha256 over an .npz's arrays (name, dtype, shape, bytes; names sorted): the content, not the zip."""
    digest = hashlib.sha256()
    with np.load(path, allow_pickle=False) as data:
        for key in sorted(data.files):
            array = np.ascontiguousarray(data[key])
            digest.update(f"{key}:{array.dtype.str}:{array.shape};".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def fetch(name: str, filename: str, into=None, progress: bool = True) -> Path:
    """Download one file of a dataset from its public source into `into`/<name>/ (default the cache),
    converted to the zoo's layout and checked against the catalogue; returns its path. The other files
    converted from the same upstream archive are written too (one download serves them all)."""
    item = _item(name, filename)
    source = _sources(name).get(filename)
    if source is None:
        raise DownloadError(f"{name}/{filename} has no download wired; see its upstream in `zoo data list`.")
    folder = Path(into) / name if into is not None else cache_dir() / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot write into {folder} ({exc.strerror}).") from None
    convert = source.get("convert")
    if convert is None:  # the upstream file is the zoo's (or holds the same arrays)
        target = download(
            source["url"], folder / filename, source.get("sha256", item["sha256"]),
            source.get("bytes") if "sha256" in source else item["bytes"], progress=progress,
        )  # fmt: skip
        if not matches(target, item):
            target.unlink()
            raise DownloadError(f"{source['url']} does not hold the arrays of {name}/{filename}.")
        return target
    siblings = [f for f in _same_download(name, filename) if f != filename]
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
        raw = download(source["url"], Path(scratch) / "upstream", source.get("sha256"), source.get("bytes"),
                       progress=progress)  # fmt: skip
        todo = [f for f in siblings if not _present(folder, _item(name, f))]
        for each in [*todo, filename]:
            _convert(source, raw, Path(scratch) / each, _item(name, each))
        for each in [*todo, filename]:  # the file asked for last: a loader that finds it finds the rest
            os.replace(Path(scratch) / each, folder / each)
    return folder / filename


def _convert(source: dict, raw: Path, out: Path, item: dict) -> None:
    try:
        out.write_bytes(CONVERTERS[source["convert"]](raw, item["name"]))
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, zipfile.BadZipFile, tarfile.TarError,
            EOFError, zlib.error, pickle.UnpicklingError) as exc:  # fmt: skip
        if isinstance(exc, DownloadError):
            raise
        raise DownloadError(
            f"{source['url']} is not the file expected ({type(exc).__name__}); its layout has changed."
        ) from None
    if not matches(out, item):
        raise DownloadError(
            f"{source['url']} converted to {item['name']} has sha256 {sha256(out)[:16]}..., expected "
            f"{item['sha256'][:16]}...; the upstream file (or its layout) has changed."
        )


def download_all(name: str, into=None, log=print, progress: bool = True) -> list[Path]:
    """Every downloadable file of a dataset not already present (and right) where it would go."""
    folder = Path(into) / name if into is not None else cache_dir() / name
    wanted = [f for f in entry(name)["files"] if f["name"] in _sources(name)]
    lacking = [f for f in wanted if not _present(folder, f)]
    done: set[str] = set()
    for item in lacking:
        if item["name"] not in done:  # one download writes every file of its upstream archive
            fetch(name, item["name"], into, progress)
            done |= set(_same_download(name, item["name"]))
        target = folder / item["name"]
        how = "sha256" if sha256(target) == item["sha256"] else "sha256 of its arrays"
        log(f"{name}/{item['name']}: {target.stat().st_size:,} bytes, {how} verified")
    return [folder / item["name"] for item in lacking]


def not_downloadable(name: str, data_dir=None) -> list[str]:
    """The files of a dataset that are neither here nor downloadable."""
    return [f["name"] for f in entry(name)["files"]
            if f["name"] not in _sources(name) and locate(name, f["name"], data_dir) is None]  # fmt: skip


def _sources(name: str) -> dict:
    return entry(name).get("sources", {})


def _same_download(name: str, filename: str) -> list[str]:
    """The files of a dataset made from the same upstream file as `filename` (itself included)."""
    url = _sources(name)[filename]["url"]
    return [f for f, source in _sources(name).items() if source["url"] == url]


def _present(folder: Path, item: dict) -> bool:
    return (folder / item["name"]).is_file() and matches(folder / item["name"], item)


def _item(name: str, filename: str) -> dict:
    item = next((f for f in entry(name)["files"] if f["name"] == filename), None)
    if item is None:
        raise ValueError(f"dataset {name!r} has no file {filename!r}.")
    return item


def _text(convert):
    """A converter of one upstream text file (bytes -> bytes) as a (path, filename) converter."""
    return lambda raw, _filename: convert(raw.read_bytes())


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


SHILLER_LAST = "2023-06-01"  # later rows of data.csv are filled from FRED's S&P-licensed series


def _shiller_close(data: bytes) -> bytes:
    """datasets/s-and-p-500's data.csv -> `Date,Close` (its SP500 column) to SHILLER_LAST, values as text."""
    header, *lines = data.decode("ascii").replace("\r\n", "\n").strip("\n").split("\n")
    if header.split(",")[:2] != ["Date", "SP500"]:
        raise DownloadError(f"the S&P 500 file's header starts {header[:20]!r}, expected 'Date,SP500'.")
    rows = [line.split(",")[:2] for line in lines if line[:10] <= SHILLER_LAST]
    return "".join(f"{date},{close}\n" for date, close in [("Date", "Close"), *rows]).encode("ascii")


def _cifar10_python(raw: Path, filename: str) -> bytes:
    """One of the zoo's CIFAR-10 files from the official cifar-10-python.tar.gz: train_i.npz is
    data_batch_{i+1}, test_first1000.npz the first 1,000 of test_batch (NHWC uint8, labels (N, 1))."""
    member, key, keep = (
        ("test_batch", "test", 1000) if filename == "test_first1000.npz"
        else (f"data_batch_{int(filename[6]) + 1}", "train", None)
    )  # fmt: skip
    with tarfile.open(raw, "r:gz") as archive:
        # The archive's sha256 was checked before this: these pickles are the official batches.
        batch = pickle.load(archive.extractfile(f"cifar-10-batches-py/{member}"), encoding="bytes")
    x = np.asarray(batch[b"data"], "uint8").reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)[:keep]
    y = np.asarray(batch[b"labels"], "uint8").reshape(-1, 1)[:keep]
    out = io.BytesIO()
    np.savez_compressed(out, **{f"x_{key}": x, f"y_{key}": y})
    return out.getvalue()


ANIME_FILES = {  # ours: (member of anime.zip, its header, our header; None drops a column)
    "ratings.csv": ("anime_ratings.dat", "User_ID Anime_ID Feedback", "user_id item_id rating"),
    "interactions.csv": ("anime_history.dat", "User_ID Anime_ID Feedback", "user_id item_id None"),
    "items.csv": (
        "anime_info.dat", "anime_ids name genre type episodes rating members",
        "item_id name genre type episodes mal_avg_rating members",
    ),
}  # fmt: skip


def _caserec_anime(raw: Path, filename: str) -> bytes:
    """A file of caserec's anime.zip (tab-separated, with a header) -> the zoo's CSV: columns renamed,
    history's constant feedback dropped, rows sorted by (user, item) or item; values copied as text."""
    member, theirs, ours = ANIME_FILES[filename]
    with zipfile.ZipFile(raw) as archive:
        found = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == member]
        if not found:
            raise DownloadError(f"anime.zip has no {member}; the upstream layout has changed.")
        lines = archive.read(found[0]).decode("utf-8").replace("\r\n", "\n").strip("\n").split("\n")
    header = lines[0].split("\t")
    if [h.strip() for h in header] != theirs.split():
        raise DownloadError(f"{member}'s header is {lines[0]!r}, expected {theirs.replace(' ', ' | ')}.")
    keep = [i for i, name in enumerate(ours.split()) if name != "None"]
    rows = [[fields[i] for i in keep] for fields in (line.split("\t") for line in lines[1:])]
    rows.sort(key=lambda row: (int(row[0]), int(row[1])) if filename != "items.csv" else int(row[0]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([ours.split()[i] for i in keep])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


CONVERTERS = {
    "kaggle_ohlcv": _text(_kaggle_ohlcv),
    "price_to_close": _text(_price_to_close),
    "shiller_close": _text(_shiller_close),
    "cifar10_python": _cifar10_python,
    "caserec_anime": _caserec_anime,
}
