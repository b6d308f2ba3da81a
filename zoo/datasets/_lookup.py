"""Where a dataset's files are found: data_dir= -> $ZOO_DATA_DIR/<name>/ -> the user cache -> a verified
download into the cache (`zoo data download`) -> a clear error."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from zoo.datasets import catalog
from zoo.fetch import DownloadError


class DatasetNotFound(FileNotFoundError):
    """None of the places a dataset may live has it."""


def local_file(dataset: str, filename: str, data_dir: str | os.PathLike | None) -> Path | None:
    """The dataset file from data_dir or $ZOO_DATA_DIR/<dataset>/, or None when neither has it.

    data_dir may point at the dataset folder itself or at a folder of dataset folders.
    """
    candidates = []
    if data_dir is not None:
        data_dir = Path(data_dir)
        candidates += [data_dir / filename, data_dir / dataset / filename]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise DatasetNotFound(
                f"data_dir={str(data_dir)!r} has no {filename}; put it at "
                f"{data_dir / dataset / filename} (or pass the folder that holds it)."
            )
        return found
    env = os.environ.get("ZOO_DATA_DIR")
    if env:
        path = Path(env) / dataset / filename
        if path.is_file():
            return path
    cached = catalog.cache_dir() / dataset / filename  # where `zoo data download` puts it
    return cached if cached.is_file() else None


def online(dataset: str, filename: str) -> Path:
    """The loaders' online step: the file downloaded from its public source into the cache, verified."""
    try:
        return catalog.fetch(dataset, filename, progress=True)
    except (DownloadError, OSError) as exc:
        raise missing(dataset, filename, str(exc).rstrip(".")) from None


def missing(dataset: str, filename: str, reason: str) -> DatasetNotFound:
    """The error for a dataset that is neither local nor downloadable."""
    where = Path(os.environ.get("ZOO_DATA_DIR") or "$ZOO_DATA_DIR") / dataset / filename
    if filename in catalog.entry(dataset).get("sources", {}):
        return DatasetNotFound(
            f"dataset {dataset!r} not found and its download failed ({reason}); `zoo data download "
            f"{dataset}` retries it, or put {filename} at {where} (or pass data_dir=)."
        )
    return DatasetNotFound(
        f"dataset {dataset!r} not found: put {filename} at {where} (or pass data_dir=); "
        f"`zoo data list` names its source ({reason})."
    )


def read_npz(path: Path, dataset: str, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """The arrays `shapes` names from a dataset's .npz, each checked against its shape after the
    first axis (None: any); a damaged, pickled or wrong file is one sentence naming it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in shapes}
    except KeyError as exc:
        raise DatasetNotFound(
            f"{path} is not the {dataset} file the zoo reads (no array {exc}); replace it with a fresh copy."
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise DatasetNotFound(
            f"{path} ({dataset}) is damaged or not an .npz of arrays ({type(exc).__name__}); "
            "replace it with a fresh copy."
        ) from None
    for key, tail in shapes.items():
        if tail is not None and arrays[key].shape[1:] != tail:
            raise DatasetNotFound(
                f"{path}: {key} has shape {arrays[key].shape}, expected (N, {', '.join(map(str, tail))}) for "
                f"{dataset}; replace it with a fresh copy."
            )
    return arrays
