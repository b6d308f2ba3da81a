"""Pretrained weights: the manifest, sha256 and shape checks, and atomic save/load.

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

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
MANIFEST = WEIGHTS_DIR / "manifest.json"


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


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _layout(path: Path) -> dict[str, tuple]:
    """Every array in a .weights.h5 file: its path inside the file -> shape."""
    shapes: dict[str, tuple] = {}
    try:
        with h5py.File(path, "r") as f:
            f.visititems(
                lambda key, obj: shapes.__setitem__(key, obj.shape) if isinstance(obj, h5py.Dataset) else None
            )
    except OSError as exc:
        raise WeightsError(f"{path} is not a readable .weights.h5 file ({exc}).") from None
    return shapes


def _check_layout(model, path: Path) -> None:
    """Refuse a file whose variables differ in name or shape from the model's own."""
    with tempfile.TemporaryDirectory() as tmp:
        reference = Path(tmp) / "expected.weights.h5"
        model.save_weights(reference)
        expected = _layout(reference)
    found = _layout(path)
    if found == expected:
        return
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        what = f"missing {missing[:3]}" if missing else f"unexpected {extra[:3]}"
        raise WeightsError(
            f"{path} does not fit model {model.name!r}: {len(expected)} arrays expected, "
            f"{len(found)} found ({what})."
        )
    key = next(k for k in sorted(expected) if expected[k] != found[k])
    raise WeightsError(
        f"{path} does not fit model {model.name!r}: {key} has shape {found[key]}, expected {expected[key]}."
    )


def load_weights(model, path: str | os.PathLike, expected_sha256: str | None = None) -> None:
    """Load a .weights.h5 file into `model` after checking its hash (when given) and layout."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist.")
    if expected_sha256 is not None:
        found = sha256(path)
        if found != expected_sha256:
            raise WeightsError(
                f"{path} is corrupt or not the shipped file: sha256 {found}, expected {expected_sha256}."
            )
    _check_layout(model, path)
    model.load_weights(path)


def save_weights(model, path: str | os.PathLike, include_optimizer: bool = False) -> Path:
    """Save weights atomically: readers never see a half-written file.

    Keras stores a compiled model's optimizer state in the same file; checkpoints keep it
    (include_optimizer=True) so training resumes exactly, shipped weights drop it.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        if include_optimizer:
            model.save_weights(tmp)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                full = Path(scratch) / "full.weights.h5"
                model.save_weights(full)
                with h5py.File(full, "r") as src, h5py.File(tmp, "w") as dst:
                    for key in src:
                        if key != "optimizer":
                            src.copy(src[key], dst, name=key)
                    dst.attrs.update(src.attrs)
    return path


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / entry(name)["file"]


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
