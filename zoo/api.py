"""The doors to the zoo: list_models, load, card, train, task and predictor.

Nothing here imports keras until a model is built, so listing and cards are instant.
"""

from __future__ import annotations

import os

import zoo.families  # noqa: F401  (registers every model family)
from zoo.core import hub, model_dir, registry


def list_models(pattern: str = "*") -> list[str]:
    """Names of the registered models, optionally filtered by a shell-style pattern.

    Example:
        >>> zoo.list_models("mnist_*")
        ['mnist_cnn', 'mnist_mlp']
    """
    return registry.names(pattern)


def load(name: str, weights: str | os.PathLike | None = "pretrained"):
    """Build a registered model or a model directory; load its weights (sha256-checked) or a given file.

    Args:
        name: a name from `list_models()`, a model directory (`zoo finetune ... --out DIR`), or one on
            the Hugging Face Hub, "hf://ORG/REPO[@REVISION]".
        weights: "pretrained" (default), a path to a .weights.h5 file, or None for random init.

    Example:
        >>> model = zoo.load("mnist_mlp")
        >>> logits = model.predict(x_test)   # raw uint8 images, (N, 28, 28)
        >>> mine = zoo.load("runs/my_classifier")
    """
    return model_dir.resolve(name).load(weights)


def task(name: str):
    """The task object of a model: what it can do (predict, evaluate, train, generate, play, ...).

    Example:
        >>> task = zoo.task("mnist_cnn")
        >>> task.evaluate(zoo.load("mnist_cnn"), sample=True)["metrics"]["accuracy"]
    """
    return model_dir.resolve(name).tasks()


def train(name: str, **options) -> dict:
    """Run the recipe that made a model's shipped weights; options as `zoo train` takes them.

    Args:
        name: a name from `list_models()`.
        **options: fields of zoo.core.training.TrainOptions (epochs, batch_size, out_dir, resume, force,
            limit, holdout, seed, steps, data_dir, distribute, verbose, callbacks, command).

    Example:
        >>> result = zoo.train("mnist_mlp", epochs=1, out_dir="runs/quick")
        >>> result["test"]["metrics"]["accuracy"]
    """
    from zoo.core import launch
    from zoo.core.training import TrainOptions

    options = TrainOptions(**options)
    if options.distribute:
        registry.check_data_parallel(name)
    elif launch.world().size > 1:
        raise ValueError(
            f"this process is one of {launch.world().size} (zoo launch, torchrun or TF_CONFIG) but "
            "trains alone; add --distribute data_parallel."
        )
    return registry.get(name).tasks().train(options)


def predictor(model):
    """A low-latency inference function for a loaded model: numpy batch in, numpy outputs out.

    Compiled once per input shape (JAX: jit over the model's variables; TensorFlow: tf.function;
    torch: torch.jit.trace of the model, checked equal to eager, else eager under no_grad). For single
    requests it skips model.predict's per-call setup
    (data adapter, callbacks), which costs more than the model itself for small networks.

    Example:
        >>> fast = zoo.predictor(zoo.load("mnist_mlp"))
        >>> fast(x_test[:1])    # logits of one image
    """
    from zoo.core import backend

    return backend.numpy_inference(lambda x: model(x, training=False), model)


def card(name: str) -> dict:
    """A model's card: task, data, input spec, params, recipe, metrics per backend, license.

    Every figure comes from the registry and the manifest (written when the weights were
    published), so a card needs no backend.

    Example:
        >>> zoo.card("mnist_mlp")["metrics"]["jax"]["metrics"]["accuracy"]
    """
    if name not in registry.names() and str(name).startswith("hf://"):
        return model_dir.card(model_dir.from_hub(name))
    if name not in registry.names() and model_dir.is_model_dir(name):
        return model_dir.card(name)
    spec = registry.get(name)
    record = hub.manifest().get(name, {})
    return {
        "name": spec.name,
        "description": spec.description,
        "task": spec.kind,
        "dataset": spec.dataset,
        "input": spec.input,
        "output": spec.output,
        "labels": list(spec.labels),
        "options": spec.options,
        "params": record.get("params"),
        "config": spec.config,
        "weights": {k: record[k] for k in ("file", "sha256", "bytes") if k in record} or None,
        "metrics": record.get("metrics", {}),
        "int8": record.get("int8", {}),
        "recipe": {
            **record.get("recipe_summary", {}),
            "command": record.get("command"),
            "trained_on": record.get("trained_on"),
            "wall_time_s": record.get("wall_time_s"),
        },
        "license": spec.license,
        "references": list(spec.references),
    }


def card_facts(name: str) -> dict:
    """What publishing writes into the manifest beside the weights: the parameter count and the
    recipe's plain settings (builds the model: imports keras)."""
    spec = registry.get(name)
    return {"params": int(spec.build().count_params()), "recipe_summary": spec.recipe_summary()}
