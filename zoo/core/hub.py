"""Pretrained weights: the manifest, where a file is found (or fetched), sha256 and layout checks,
and atomic save/load.

zoo/weights/manifest.json maps each model name to its weights file, the file's sha256 and
size, the config it was built with, how it was trained, and the metrics `zoo eval` measured
with it on each backend. A file whose hash or layout does not match is refused before any
variable is touched, so a model is never half-loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import h5py

from zoo.core.atomic import atomic_path, atomic_write_json
from zoo.fetch import DownloadError, download, sha256

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"  # the package's (a checkout: all files)
MANIFEST = WEIGHTS_DIR / "manifest.json"
IN_WHEEL_MAX_BYTES = 4_000_000  # larger weights files are left out of the wheel and fetched on first use


class WeightsError(ValueError):
    """A weights file that is missing, corrupt, or made for another model."""


def manifest() -> dict:
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text())


def entry(name: str) -> dict:
    """The manifest entry of a model, or a clear error when it ships no weights."""
    found = manifest().get(name)
    if found is None:
        raise WeightsError(
            f"model {name!r} has no pretrained weights in {MANIFEST}; train it with `zoo train {name}`."
        )
    return found


def _read_arrays(path: Path) -> tuple[dict, dict]:
    """Every array of a .weights.h5 file (path inside the file -> values) and the file's attributes.

    Reads everything before anything is assigned, so a damaged file is refused as a whole.
    """
    import numpy as np

    arrays: dict = {}
    try:
        with h5py.File(path, "r") as f:
            f.visititems(
                lambda key, obj: arrays.__setitem__(key, obj) if isinstance(obj, h5py.Dataset) else None
            )
            arrays = {key: np.asarray(dataset[()]) for key, dataset in arrays.items()}
            attrs = {key: f.attrs[key] for key in f.attrs}
    except Exception as exc:  # noqa: BLE001  h5py raises OSError, RuntimeError, KeyError, ... on damage
        raise WeightsError(f"{path} is not a readable .weights.h5 file ({type(exc).__name__}).") from None
    return arrays, attrs


def digest(arrays: dict) -> str:
    """sha256 over every array's path, dtype, shape and bytes, in path order: the weights' identity."""
    hashed = hashlib.sha256()
    for key in sorted(arrays):
        value = arrays[key]
        hashed.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
        hashed.update(value.tobytes())
    return hashed.hexdigest()


def _check(model, path: Path, name: str | None) -> None:
    """Refuse a file made for another model, damaged, or not holding the model's own variables."""
    import numpy as np

    arrays, attrs = _read_arrays(path)
    made_for = attrs.get("zoo_model")
    if made_for is not None and name is not None and str(made_for) != name:
        raise WeightsError(f"{path} holds the weights of {made_for}, not {name}.")
    if "zoo_digest" in attrs and str(attrs["zoo_digest"]) != digest(arrays):
        raise WeightsError(
            f"{path} is damaged: its arrays differ from the digest recorded when it was written."
        )
    with tempfile.TemporaryDirectory() as tmp:
        reference = Path(tmp) / "expected.weights.h5"
        model.save_weights(reference)
        expected, _ = _read_arrays(reference)
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        what = f"missing {missing[:3]}" if missing else f"unexpected {extra[:3]}"
        raise WeightsError(
            f"{path} does not fit model {name or model.name!r}: {len(expected)} arrays expected, "
            f"{len(arrays)} found ({what})."
        )
    for key in sorted(expected):
        want, found = expected[key], arrays[key]
        if want.shape != found.shape:
            raise WeightsError(
                f"{path} does not fit model {name or model.name!r}: {key} has shape {found.shape}, "
                f"expected {want.shape}."
            )
        same_kind = found.dtype == want.dtype or (want.dtype.kind in "iu" and found.dtype.kind in "iu")
        if not same_kind:  # counters are int32 or int64 by backend; float weights must match exactly
            raise WeightsError(f"{path}: {key} is {found.dtype}, the model stores {want.dtype}.")
        if found.dtype.kind == "f" and not np.all(np.isfinite(found)):
            raise WeightsError(f"{path}: {key} holds NaN or infinite values; refusing to load it.")


def load_weights(model, path: str | os.PathLike, expected_sha256: str | None = None, name: str | None = None):
    """Load a .weights.h5 file into `model` after checking it whole: its hash (when given), the model it
    was written for (`name`, when the file records one), its digest, and every array's name, shape,
    dtype and finiteness. Nothing is assigned unless every check passes."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist.")
    if not path.name.endswith(".weights.h5"):
        raise WeightsError(f"{path} is not a .weights.h5 file; weights files end in .weights.h5.")
    if expected_sha256 is not None:
        found = sha256(path)
        if found != expected_sha256:
            raise WeightsError(
                f"{path} is corrupt or not the shipped file: sha256 {found}, expected {expected_sha256}."
            )
    _check(model, path, name)
    model.load_weights(path)
    # which weights the model holds: a card's choices for the shipped file (a decision threshold)
    # must not follow other weights
    model.zoo_weights_sha256 = expected_sha256 or sha256(path)


def save_weights(
    model, path: str | os.PathLike, include_optimizer: bool = False, name: str | None = None
) -> Path:
    """Save weights atomically, with the model's registry `name` and the arrays' digest recorded in
    the file (checked on load); readers never see a half-written file.

    Keras stores a compiled model's optimizer state in the same file; checkpoints keep it
    (include_optimizer=True) so training resumes exactly, shipped weights drop it.
    """
    path = Path(path)
    with atomic_path(path) as tmp, tempfile.TemporaryDirectory() as scratch:
        full = Path(scratch) / "full.weights.h5"
        model.save_weights(full)
        with h5py.File(full, "r") as src, h5py.File(tmp, "w") as dst:
            for key in src:
                if include_optimizer or key != "optimizer":
                    src.copy(src[key], dst, name=key)
            dst.attrs.update(src.attrs)
            dst.attrs["zoo_model"] = name or model.name
        arrays, _ = _read_arrays(tmp)
        with h5py.File(tmp, "a") as dst:
            dst.attrs["zoo_digest"] = digest(arrays)
    return path


def weights_path(name: str) -> Path:
    """Where the model's weights file is on this machine, fetching it into the cache when it is not."""
    return resolve(name)


def cache_dir() -> Path:
    """The user cache of weights files: $ZOO_CACHE_DIR/weights, default ~/.cache/kerazoo/weights."""
    return Path(os.environ.get("ZOO_CACHE_DIR") or Path.home() / ".cache" / "kerazoo") / "weights"


def locations(name: str) -> list[tuple[str, Path]]:
    """The places a model's weights file may be, in the order they are tried."""
    file = entry(name)["file"]
    places = (
        [("mirror", Path(os.environ["ZOO_WEIGHTS_DIR"]) / file)] if os.environ.get("ZOO_WEIGHTS_DIR") else []
    )
    return [*places, ("package", WEIGHTS_DIR / file), ("cache", cache_dir() / file)]


def locate(name: str) -> tuple[str, Path] | None:
    """(where, path) of the first place that has the model's weights file, or None."""
    return next(((where, path) for where, path in locations(name) if path.is_file()), None)


def resolve(name: str) -> Path:
    """The model's weights file: an explicit mirror ($ZOO_WEIGHTS_DIR), the package, the user cache,
    or else a verified download into the cache from $ZOO_WEIGHTS_URL (a base URL) or the manifest's url."""
    found = locate(name)
    if found is not None:
        return found[1]
    record = entry(name)
    size = f"{record['bytes'] / 1e6:.1f} MB"
    base = os.environ.get("ZOO_WEIGHTS_URL")
    url = f"{base.rstrip('/')}/{record['file']}" if base else record.get("url")
    if url is None:
        raise WeightsError(
            f"the weights of {name} ({record['file']}, {size}) are not in this installation; put the file "
            f"in {cache_dir()} (or a folder named by ZOO_WEIGHTS_DIR), or set ZOO_WEIGHTS_URL to a mirror "
            "that has it."
        )
    try:
        return download(url, cache_dir() / record["file"], record["sha256"], record["bytes"])
    except DownloadError as exc:
        raise WeightsError(
            f"the weights of {name} ({record['file']}, {size}) are not here and {exc} "
            f"Put the file in {cache_dir()}."
        ) from None


def status(name: str, check: bool = False) -> dict:
    """Where a model's weights file is, its size, whether the wheel carries it, and with `check`
    whether its sha256 is the manifest's ("ok", "corrupt"; "missing" when it is nowhere here)."""
    record = entry(name)
    found = locate(name)
    row = {
        "model": name,
        "file": record["file"],
        "bytes": record["bytes"],
        "sha256": record["sha256"],
        "in_wheel": record["bytes"] <= IN_WHEEL_MAX_BYTES,
        "where": found[0] if found else "missing",
        "path": str(found[1]) if found else None,
    }
    if check:
        row["state"] = (
            "missing" if found is None else ("ok" if sha256(found[1]) == record["sha256"] else "corrupt")
        )
    return row


def prune() -> list[Path]:
    """Remove from the user cache what no manifest entry wants: unknown files, files whose sha256 is
    wrong, and the .part files of interrupted downloads. Returns what was removed."""
    wanted = {record["file"]: record["sha256"] for record in manifest().values()}
    removed = []
    for path in sorted(cache_dir().glob("*")) if cache_dir().is_dir() else []:
        if path.is_file() and (path.name not in wanted or sha256(path) != wanted[path.name]):
            path.unlink()
            removed.append(path)
    return removed


def publish(name: str, weights_file: str | os.PathLike, record: dict) -> dict:
    """Copy trained weights into the package and record them in the manifest (maintainers)."""
    target = WEIGHTS_DIR / f"{name}.weights.h5"
    with atomic_path(target) as tmp:
        shutil.copyfile(weights_file, tmp)
    data = manifest()
    # New weights: metrics measured on the old ones no longer apply; `zoo eval --record` refills them.
    data[name] = {
        **record,
        "file": target.name,
        "sha256": sha256(target),
        "bytes": target.stat().st_size,
        "metrics": {},
    }
    atomic_write_json(MANIFEST, dict(sorted(data.items())))
    return data[name]


def record_facts(name: str, facts: dict) -> None:
    """Store what a card shows without building the model (parameter count, recipe settings)."""
    data = manifest()
    data[name].update(facts)
    atomic_write_json(MANIFEST, data)


def record_quantization(name: str, backend_name: str, result: dict) -> None:
    """Store what `zoo quantize --int8` measured on one backend (size and accuracy before/after)."""
    data = manifest()
    data[name].setdefault("int8", {})[backend_name] = result
    atomic_write_json(MANIFEST, data)


def record_metrics(name: str, backend_name: str, result: dict) -> None:
    """Store what `zoo eval` measured with the shipped weights on one backend (with --tta: beside it)."""
    data = manifest()
    measured = data[name].setdefault("metrics", {})
    if result.get("tta"):  # the flip-TTA figure sits beside the plain one
        measured[backend_name]["tta"] = result
    else:
        kept = {"tta": measured[backend_name]["tta"]} if "tta" in measured.get(backend_name, {}) else {}
        measured[backend_name] = {**result, **kept}
    atomic_write_json(MANIFEST, data)
