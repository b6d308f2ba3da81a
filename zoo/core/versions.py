"""Model versions: the flywheel writes each retrained model as a new version, and `zoo serve` serves the
one promoted last.

    ROOT/NAME/v1/, v2/, ...      model directories (zoo.core.model_dir)
    ROOT/NAME/versions.json      {"current": "v2", "versions": [{"version", "metrics", "promoted", ...}]}

versions.json is rewritten atomically after a version's directory is complete, so a reader sees the old
state or the new one. A version is promoted only when its metric is at least the served model's, measured
on the same data just before (a figure recorded at another time may come from other data).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from zoo.core.atomic import atomic_write_json

INDEX = "versions.json"


def folder(root: str | os.PathLike, name: str) -> Path:
    return Path(root) / name


def history(root: str | os.PathLike, name: str) -> dict:
    """The index of `name`'s versions: {"current": None, "versions": []} when there are none."""
    path = folder(root, name) / INDEX
    if not path.is_file():
        return {"current": None, "versions": []}
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ValueError(f"{path} is not readable JSON; restore it or remove the folder.") from None
    return index


def current_dir(root: str | os.PathLike | None, name: str) -> Path | None:
    """The promoted version's model directory, or None (serve the shipped model)."""
    if root is None:
        return None
    current = history(root, name)["current"]
    return None if current is None else folder(root, name) / current


def next_dir(root: str | os.PathLike, name: str) -> Path:
    """Where the next version goes: v1, v2, ... (one more than any written, promoted or not)."""
    taken = [int(v["version"][1:]) for v in history(root, name)["versions"]]
    return folder(root, name) / f"v{max(taken, default=0) + 1}"


def add(
    root, name: str, path: Path, metrics: dict, metric: str, incumbent: float, log=print, **extra
) -> dict:
    """Record the finished version at `path`; promote it when `metrics[metric]` is at least `incumbent`,
    the served model's figure measured just now on the same data. Returns its entry."""
    index = history(root, name)
    promoted = metrics[metric] >= incumbent
    entry = {
        "version": path.name,
        "metrics": metrics,
        "metric": metric,
        "incumbent": incumbent,
        "served_before": index["current"],
        "promoted": promoted,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **extra,
    }
    index["versions"].append(entry)
    if promoted:
        index["current"] = path.name
    atomic_write_json(folder(root, name) / INDEX, index)
    verdict = "promoted" if promoted else f"not promoted (still {index['current'] or 'the shipped model'})"
    log(f"{name} {path.name}: {metric} {metrics[metric]:.4f} vs serving {incumbent:.4f}: {verdict}")
    return entry


def rollback(root, name: str, version: str | None) -> dict:
    """Serve `version` again (None: the shipped model); returns the index."""
    index = history(root, name)
    known = [v["version"] for v in index["versions"]]
    if version is not None and version not in known:
        raise ValueError(f"{name} has no version {version!r}; versions: {', '.join(known) or 'none'}.")
    index["current"] = version
    atomic_write_json(folder(root, name) / INDEX, index)
    return index
