"""The task contract: what every kind of model can be asked to do, with one set of methods.

A task object is bound to one ModelSpec (`spec.tasks()`). The CLI, the catalog and the
applications call these methods and never branch on a task's name; a method a task does not
offer raises NotSupported, one sentence that says what the model does instead.
"""

from __future__ import annotations

from zoo.core import backend


class NotSupported(ValueError):
    """The model's task does not offer this ability (a user's mistake: one sentence, exit 2)."""


class Task:
    """The base of every task. Subclasses set `kind`, `headline`, `abilities` and fill the methods.

    Args:
        spec: the registered model this task object speaks for.

    Example:
        >>> task = zoo.core.registry.get("mnist_mlp").tasks()
        >>> task.evaluate(task.spec.load(), sample=True)["metrics"]["accuracy"]
    """

    kind = "task"  # the name printed in every JSON interface ("classification", ...)
    headline = ""  # the metric that tables show
    abilities: frozenset[str] = frozenset({"evaluate", "train"})
    hint = ""  # what to do instead of an unsupported ability, e.g. "use `zoo generate NAME`"
    page: str | None = None  # the page `zoo serve` shows for this task (zoo/serve/pages.py); None: none
    data_parallel = False  # its train() runs under --distribute / zoo launch (the shared fit recipe)

    def __init__(self, spec):
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    # What a model can be asked to do. Each raises NotSupported unless the task fills it.

    def read_inputs(self, files: list[str], **options):
        """User files (images, arrays, text) -> (the array the model reads, one source label per row)."""
        raise self.unsupported("read input files")

    def predict(self, model, x, top: int = 3) -> list[dict]:
        """One result dict per input row: `top` classes with probabilities, or a prediction."""
        raise self.unsupported("predict from files")

    def evaluate(
        self, model, *, split=None, limit=None, data_dir=None, sample=False, tta=False, seed=0, data=None
    ):
        """Measure `model` on a split; returns the `zoo eval --json` record (see `record`)."""
        raise self.unsupported("be evaluated")

    def train(self, options) -> dict:
        """Run the recipe that made the shipped weights with `options` (a training.TrainOptions)."""
        raise self.unsupported("be trained")

    def generate(self, model, options: dict, stream=None) -> dict:
        """Make new text or images; `stream(chunk)` receives text as it is produced."""
        raise self.unsupported("generate")

    def play(self, model, *, episodes: int, seed: int, gif=None) -> dict:
        """Run greedy episodes of an agent."""
        raise self.unsupported("play episodes")

    def finetune(self, data, options) -> dict:
        """Train from the pretrained weights on a user's own `data`, writing a model directory to
        `options.out_dir` (a core.finetuning.FinetuneOptions); returns the `zoo finetune --json` record."""
        raise self.unsupported("be fine-tuned on your own data")

    def serve(self) -> str:
        """The name of the page `zoo serve` shows for this model: the task's, or the one its spec
        asks for (`options["page"]`, e.g. "digits" for a sketchpad instead of an upload)."""
        page = self.spec.options.get("page", self.page)
        if page is None:
            raise NotSupported(f"{self.name} ({self.kind}) has no page in `zoo serve`.")
        return page

    # Shared helpers.

    def unsupported(self, action: str) -> NotSupported:
        hint = f"; {self.hint.format(name=self.name)}" if self.hint else ""
        return NotSupported(f"{self.name} ({self.kind}) cannot {action}{hint}.")

    def refuse_data(self, data) -> None:
        """`evaluate(data=...)` is for models that read a user's labeled files (classifiers, regressors)."""
        if data is not None:
            raise NotSupported(
                f"{self.name} ({self.kind}) is measured on its own dataset; --data does not apply."
            )

    def record(self, split: str, n: int, metrics: dict) -> dict:
        """The machine-readable result of `zoo eval --json` (its keys are a stable interface)."""
        return {
            "model": self.name,
            "backend": backend.current(),
            "dataset": self.spec.dataset,
            "split": split,
            "n": int(n),
            "metrics": metrics,
        }

    def headline_text(self, metrics: dict, tta: dict | None = None) -> str:
        """The headline metric as tables show it."""
        return f"{self.headline} {metrics[self.headline]:.4g}"
