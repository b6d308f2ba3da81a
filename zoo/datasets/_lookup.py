"""Where a dataset's files are found: data_dir= -> $ZOO_DATA_DIR/<name>/ -> online -> clear error."""

from __future__ import annotations

import os
from pathlib import Path


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
    return None


def missing(dataset: str, filename: str, reason: str) -> DatasetNotFound:
    """The error for a dataset that is neither local nor downloadable."""
    where = os.environ.get("ZOO_DATA_DIR") or "$ZOO_DATA_DIR"
    return DatasetNotFound(
        f"dataset {dataset!r} not found: put {filename} at {Path(where) / dataset / filename} "
        f"and set ZOO_DATA_DIR (or pass data_dir=); the online download failed ({reason})."
    )
