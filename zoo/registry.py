"""The one place that knows every model: a ModelSpec per name, registered by its model file."""

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
    """How the shipped weights were trained; `zoo train NAME` runs exactly this."""

    epochs: int
    batch_size: int
    optimizer: Callable[[int], Any]  # total training steps -> keras optimizer
    loss: Callable[[], Any]
    metrics: Callable[[], list] = list
    augment: Callable | None = None  # (x_batch, rng) -> x_batch, numpy, training only
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
    """Everything zoo knows about a model besides its weights (those are in hub's manifest)."""

    name: str
    task: str  # "classification" or "regression"
    dataset: str
    description: str
    build: Callable[[dict], Any]  # config -> keras.Model
    config: dict
    input: dict  # what the model accepts, as a user must prepare it
    output: str
    recipe: Any  # a Recipe for the shared fit, or the dataclass of a custom trainer's arguments
    trainer: Callable | None = None  # a custom training loop (RL); None: training.train's fit
    evaluator: Callable | None = None  # (model, episodes, seed) -> metrics, for tasks without a test split
    # Extra keras compile() options for training per backend name, chosen from measurements
    # (docs/BENCHMARKS.md), e.g. {"jax": {"steps_per_execution": 10}}.
    compile_options: dict = field(default_factory=dict)
    license: str = "Apache-2.0 (code and weights)"
    references: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def recipe_summary(self) -> dict:
        """The recipe's plain settings (numbers, strings), for cards."""
        return {
            f.name: getattr(self.recipe, f.name)
            for f in dataclasses.fields(self.recipe)
            if isinstance(getattr(self.recipe, f.name), (int, float, str, bool))
        }


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is registered twice.")
    _REGISTRY[spec.name] = spec
    return spec


def _ensure_loaded() -> None:
    import zoo.models  # noqa: F401  (each model file registers itself on import)


def names(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style pattern, sorted."""
    _ensure_loaded()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def get(name: str) -> ModelSpec:
    _ensure_loaded()
    if name not in _REGISTRY:
        raise UnknownModel(f"unknown model {name!r}; available: {', '.join(names())}.")
    return _REGISTRY[name]
