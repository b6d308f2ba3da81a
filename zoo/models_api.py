"""The three doors to the zoo: list_models, load and card."""

from __future__ import annotations

import os

from zoo import hub, registry


def list_models(pattern: str = "*") -> list[str]:
    """Names of the registered models, optionally filtered by a shell-style pattern."""
    return registry.names(pattern)


def load(name: str, weights: str | os.PathLike | None = "pretrained"):
    """Build a registered model; load the shipped weights (sha256-checked) or a given file.

    Args:
        name: a name from `list_models()`.
        weights: "pretrained" (default), a path to a .weights.h5 file, or None for random init.

    Example:
        >>> model = zoo.load("mnist_mlp")
        >>> logits = model.predict(x_test)   # raw uint8 images, (N, 28, 28)
    """
    spec = registry.get(name)
    model = spec.build(spec.config)
    if weights == "pretrained":
        record = hub.entry(name)
        hub.load_weights(model, hub.WEIGHTS_DIR / record["file"], record["sha256"])
    elif weights is not None:
        hub.load_weights(model, weights)
    return model


def count_params(spec) -> int:
    return int(spec.build(spec.config).count_params())


def card(name: str) -> dict:
    """A model's card: task, data, input spec, params, recipe, metrics per backend, license."""
    spec = registry.get(name)
    record = hub.manifest().get(name, {})
    return {
        "name": spec.name,
        "description": spec.description,
        "task": spec.task,
        "dataset": spec.dataset,
        "input": spec.input,
        "output": spec.output,
        "params": count_params(spec),
        "config": spec.config,
        "weights": {k: record[k] for k in ("file", "sha256", "bytes") if k in record} or None,
        "metrics": record.get("metrics", {}),
        "int8": record.get("int8", {}),
        "recipe": {
            **spec.recipe_summary(),
            "command": record.get("command"),
            "trained_on": record.get("trained_on"),
            "wall_time_s": record.get("wall_time_s"),
        },
        "license": spec.license,
        "references": list(spec.references),
    }
