"""The doors to the zoo: list_models, load, card, and predictor for low-latency inference."""

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


def predictor(model):
    """A low-latency inference function for a loaded model: numpy batch in, numpy outputs out.

    Compiled once per input shape (JAX: jit over the model's variables; TensorFlow: tf.function;
    torch: eager under no_grad). For single requests it skips model.predict's per-call setup
    (data adapter, callbacks), which costs more than the model itself for small networks.

    Example:
        >>> fast = zoo.predictor(zoo.load("mnist_mlp"))
        >>> fast(x_test[:1])    # logits of one image
    """
    import keras
    import numpy as np

    from zoo import backend

    call = backend.compile_inference(lambda x: model(x, training=False), model)

    def predict(x):
        return np.asarray(keras.ops.convert_to_numpy(call(keras.ops.convert_to_tensor(x, "float32"))))

    return predict


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
