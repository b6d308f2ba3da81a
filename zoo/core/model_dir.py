"""A model directory: a model made outside the zoo's recipes (`zoo finetune`) as files that load like a
zoo name: `zoo.load(DIR)`, `zoo predict / eval / info / export DIR`.

    DIR/model.json          what the model is: its base model, config, labels, task, card
    DIR/model.weights.h5    its weights (stamped with the model's name; sha256 in model.json)

model.json is written last: a folder without it is not a model (yet). A directory's spec is its base
model's spec with the fields the directory changes, so every command works on it unchanged.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import shutil
from pathlib import Path

from zoo.core import hub, registry
from zoo.core.atomic import atomic_write_json

FORMAT = "kerazoo-model"
VERSION = 1
MANIFEST = "model.json"
WEIGHTS = "model.weights.h5"


class ModelDirError(ValueError):
    """A folder that claims to be a model directory but cannot be read as one."""


def is_model_dir(path: str | os.PathLike) -> bool:
    return (Path(path) / MANIFEST).is_file()


def task_reference(task_class: type) -> str:
    """ "module:Class" of a task class, as model.json names it."""
    return f"{task_class.__module__}:{task_class.__qualname__}"


def _task_class(reference: str, where: Path) -> type:
    module, _, name = str(reference).partition(":")
    if not module.startswith("zoo.") or not name:  # model.json may only name the zoo's own tasks
        raise ModelDirError(f"{where} names the task {reference!r}; expected one of the zoo's task classes.")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise ModelDirError(f"{where} names the task {reference!r}, which this zoo does not have.") from None


def read(path: str | os.PathLike) -> dict:
    """The checked contents of DIR/model.json."""
    where = Path(path) / MANIFEST
    try:
        record = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"{where} is not readable JSON ({type(exc).__name__}).") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ModelDirError(f"{where} is not a Kerazoo model file (its format is not {FORMAT!r}).")
    if record.get("version") != VERSION:
        raise ModelDirError(
            f"{where} has format version {record.get('version')!r}; this zoo reads version {VERSION}."
        )
    missing = [k for k in ("name", "base", "task", "task_class", "config", "weights") if k not in record]
    if missing:
        raise ModelDirError(f"{where} is damaged: it lacks {', '.join(missing)}.")
    return record


def spec(path: str | os.PathLike) -> registry.ModelSpec:
    """The spec of a model directory: its base model's, with the directory's config, labels and weights."""
    path = Path(path)
    record = read(path)
    base = registry.get(record["base"])
    return dataclasses.replace(
        base,
        name=record["name"],
        task=_task_class(record["task_class"], path / MANIFEST),
        dataset=record.get("dataset", base.dataset),
        description=record.get("description", base.description),
        config=record["config"],
        input=record.get("input", base.input),
        labels=tuple(record.get("labels", base.labels)),
        options=record.get("options", base.options),
        weights_file=str(path / WEIGHTS),
        weights_sha256=record["weights"].get("sha256"),
        base=base.name,
    )


def resolve(name_or_path: str | os.PathLike) -> registry.ModelSpec:
    """A registered model's spec, or a model directory's (a folder, or hf://ORG/REPO[@REVISION] on the
    Hugging Face Hub, fetched into the user cache); one sentence naming the kinds otherwise."""
    name = str(name_or_path)
    if name in registry.names():
        return registry.get(name)
    if name.startswith("hf://"):
        return spec(from_hub(name))
    if is_model_dir(name):
        return spec(name)
    if Path(name).is_dir():
        raise ModelDirError(
            f"{name} is a folder but not a model directory (it has no {MANIFEST}); "
            f"`zoo finetune BASE --data ... --out {name}` makes one."
        )
    raise registry.UnknownModel(
        f"unknown model {name!r}; available: {', '.join(registry.names())}, "
        "or a model directory made by `zoo finetune`."
    )


def from_hub(handle: str) -> Path:
    """A model directory published on the Hugging Face Hub (its model.json and model.weights.h5 at the
    repository's top), fetched into $ZOO_CACHE_DIR/models/ORG--REPO[--REVISION]; the weights are checked
    against the sha256 that model.json names. Returns the local folder."""
    from zoo.fetch import DownloadError, download, parse_hub

    repo, revision, rest = parse_hub(handle)
    if rest:
        raise ModelDirError(
            f"{handle!r} names a file; a model directory on the Hub is hf://ORG/REPO[@REVISION]."
        )
    folder = (
        hub.cache_dir().parent / "models" / "--".join([*repo.split("/"), *([revision] if revision else [])])
    )
    base = f"hf://{repo}{'@' + revision if revision else ''}"
    if (
        folder / MANIFEST
    ).is_file():  # fetched before (a branch handle stays as first fetched: pin @REVISION)
        return folder
    staged = folder.with_name(folder.name + ".part")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        download(f"{base}/{MANIFEST}", staged / MANIFEST, None)
        record = read(staged)
        sha = record["weights"].get("sha256") if isinstance(record["weights"], dict) else None
        if not (isinstance(sha, str) and len(sha) == 64):
            raise ModelDirError(
                f"{handle}'s {MANIFEST} names no sha256 for its weights; it cannot be checked."
            )
        download(f"{base}/{WEIGHTS}", staged / WEIGHTS, sha, record["weights"].get("bytes"))
        spec(staged)  # its base model and task exist in this zoo, before it is kept
        os.replace(staged, folder)  # model.json and its weights arrive together or not at all
    except DownloadError as exc:
        raise ModelDirError(f"{handle} is not a model directory here: {exc}") from None
    except (ModelDirError, registry.UnknownModel) as exc:
        raise ModelDirError(f"{handle} cannot be used: {str(exc).replace(str(staged), handle)}") from None
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return folder


def write(path: str | os.PathLike, model, record: dict) -> dict:
    """Save `model`'s weights and then model.json (the commit point) into `path`; returns the record."""
    path = Path(path)
    weights = path / WEIGHTS
    (path / MANIFEST).unlink(missing_ok=True)  # a rewrite (--resume) is not a model until it commits again
    hub.save_weights(model, weights, name=record["name"])
    record = {
        "format": FORMAT,
        "version": VERSION,
        **record,
        "weights": {"file": WEIGHTS, "sha256": hub.sha256(weights), "bytes": weights.stat().st_size},
    }
    atomic_write_json(path / MANIFEST, record)
    return record


def card(path: str | os.PathLike) -> dict:
    """A model directory's card, with the keys of a zoo model's card (`zoo.card`)."""
    record = read(path)
    made = record.get("card", {})
    return {
        "name": record["name"],
        "description": record.get("description", ""),
        "task": record["task"],
        "dataset": record.get("dataset"),
        "input": record.get("input", {}),
        "output": record.get("output", ""),
        "labels": list(record.get("labels", [])),
        "options": record.get("options", {}),
        "params": made.get("params"),
        "config": record["config"],
        "weights": record["weights"],
        "metrics": {made["backend"]: made["validation"]} if "validation" in made else {},
        "int8": {},
        "recipe": {
            **made.get("settings", {}),
            "command": made.get("command"),
            "trained_on": made.get("trained_on"),
            "wall_time_s": made.get("wall_time_s"),
        },
        "license": record.get("license", ""),
        "references": list(record.get("references", [])),
        "base": {"model": record["base"], "sha256": record.get("base_sha256")},
        "data": made.get("data", {}),
        "directory": str(path),
    }
