"""The one place that knows every model: a ModelSpec per name, registered by its family package.

A spec is plain data plus two references: its task (a class from zoo.tasks or the family's own
task module, which says what the model can do) and the module that builds it (`module`, which
defines `build(config)` and the recipe). Registering imports no keras: the model module is
imported on first use, so `zoo list` and `zoo info` start without a backend.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class UnknownModel(KeyError):
    """A model name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.args[0]


@dataclass(frozen=True)
class Recipe:
    """How the shipped weights were trained by the shared fit; `zoo train NAME` runs exactly this."""

    epochs: int
    batch_size: int
    optimizer: Callable[[int], Any]  # total training steps -> keras optimizer
    loss: Callable[[], Any]
    metrics: Callable[[], list] = list
    augment: Callable | None = None  # (x_batch, rng, rows=, epoch=) -> x_batch, numpy, training only
    passes_per_epoch: int = 1  # full-batch recipes count many passes as one epoch
    prepare: Callable | None = None  # (model, x_train) -> None, e.g. adapt a Normalization
    balance_classes: bool = False  # weight each example by n / (classes * count of its class)
    seed: int = 0
    notes: str = ""


@dataclass(frozen=True)
class AdamRecipe:
    """How a custom trainer's shipped weights were trained with Adam (recommenders, ts_transformer)."""

    epochs: int
    batch_size: int
    learning_rate: float
    seed: int = 0
    notes: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """Everything zoo knows about a model besides its weights (those are in hub's manifest).

    Args:
        name: the registry name, e.g. "mnist_mlp".
        task: the task class (a `zoo.tasks.Task` subclass): what the model can do.
        module: the module that defines `build(config) -> keras.Model` and the recipe.
        dataset: the dataset it was trained on (a `zoo.datasets` name or an environment id).
        config: the config the shipped weights were built with.
        input, output: what the model accepts and returns, as a user must prepare and read it.
        labels: class names, for classifiers.
        options: task options (e.g. `positive_label`, `flip_tta`).
        recipe_name: the module attribute holding the recipe (default `RECIPE`).
        compile_options: extra keras compile() options for training, per backend name.
        weights_file, weights_sha256: set for a model directory (`zoo finetune`), whose weights are
            its own file rather than the hub's.
    """

    name: str
    task: type
    module: str
    dataset: str
    description: str
    config: dict
    input: dict
    output: str
    labels: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)
    recipe_name: str = "RECIPE"
    compile_options: dict = field(default_factory=dict)
    license: str = "Apache-2.0 (code and weights)"
    references: tuple[str, ...] = ()
    weights_file: str | None = None  # a model directory's own weights (zoo.core.model_dir), else the hub's
    weights_sha256: str | None = None
    base: str | None = None  # a model directory's registered model (its builder and recipe)

    @property
    def kind(self) -> str:
        """The task's name as the JSON interfaces print it, e.g. "classification"."""
        return self.task.kind

    def family(self):
        """The model's module (imports keras, with the frameworks' start-up chatter kept quiet)."""
        from zoo.core import backend

        backend.start()
        return backend.import_quietly(self.module)

    def build(self, config: dict | None = None):
        """A freshly initialised keras.Model of this spec (config entries override the spec's)."""
        return self.family().build({**self.config, **(config or {})})

    @property
    def recipe(self):
        return getattr(self.family(), self.recipe_name)

    def tasks(self):
        """The task object bound to this model: predict, evaluate, train, generate, ..."""
        return self.task(self)

    def load(self, weights="pretrained"):
        """Build the model and load the shipped weights (sha256-checked), a given file, or none."""
        from zoo.core import hub

        model = self.build()
        if weights == "pretrained" and self.weights_file is not None:
            hub.load_weights(model, self.weights_file, self.weights_sha256, name=self.name)
        elif weights == "pretrained":
            hub.load_weights(model, hub.resolve(self.name), hub.entry(self.name)["sha256"], name=self.name)
        elif weights is not None:
            hub.load_weights(model, weights, name=self.name)
        return model

    def recipe_summary(self) -> dict:
        """The recipe's plain settings (numbers, strings), for cards."""
        recipe = self.recipe
        return {
            f.name: getattr(recipe, f.name)
            for f in dataclasses.fields(recipe)
            if isinstance(getattr(recipe, f.name), (int, float, str, bool))
        }


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add a spec; a family package calls this once per model it defines."""
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is registered twice.")
    _REGISTRY[spec.name] = spec
    return spec


def names(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style pattern, sorted."""
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def get(name: str) -> ModelSpec:
    """The spec of a registered model, or UnknownModel naming the ones that exist."""
    if name not in _REGISTRY:
        raise UnknownModel(f"unknown model {name!r}; available: {', '.join(names())}.")
    return _REGISTRY[name]


def check_data_parallel(name: str) -> None:
    """Refuse, naming the ones that can, a model whose trainer does not run data-parallel."""
    if not get(name).tasks().data_parallel:
        able = ", ".join(n for n in names() if get(n).tasks().data_parallel)
        raise ValueError(
            f"{name} trains with a loop of its own that does not run data-parallel; --distribute and "
            f"zoo launch train the models of the shared fit recipe: {able}."
        )


def with_ability(ability: str) -> list[str]:
    """Names of the models whose task offers `ability` (a Task method such as "generate")."""
    return [n for n in names() if ability in _REGISTRY[n].task.abilities]
