"""The character language model task: scored in nats per character on the validation text,
trained on random windows, and asked to continue a prompt (`zoo generate`)."""

from __future__ import annotations

from zoo import datasets
from zoo.core import backend
from zoo.tasks.base import Task


class CharacterLanguageModel(Task):
    """Text in (characters of the model's vocabulary), next-character logits out."""

    kind = "language-modeling"
    page = "text"
    headline = "val_loss"
    abilities = frozenset({"evaluate", "train", "generate", "finetune"})
    hint = "it writes text: use `zoo generate {name}`"

    def evaluate(
        self, model, *, split=None, limit=None, data_dir=None, sample=False, tta=False, seed=0, data=None
    ):
        """Mean cross-entropy of every character after the first of the validation text (or the
        bundled validation sample), in nats/char, and its perplexity.

        Example:
            >>> task = zoo.core.registry.get("char_gpt").tasks()
            >>> task.evaluate(task.spec.load(), sample=True)["metrics"]["val_loss"]
        """
        from zoo.families.char_gpt.language_modeling import validation_loss

        if tta:
            raise ValueError(f"{self.name} has no flip test-time augmentation: it reads text.")
        split = split or "val"
        if data is not None:  # a user's text (a model fine-tuned on one, or any text of its characters)
            from zoo.core import user_data

            text, split = user_data.read_text(data), "all"
            text = text[:limit] if limit else text
        elif self.spec.dataset not in datasets.available():
            raise ValueError(
                f"{self.name} was fine-tuned on {self.spec.dataset}; pass --data with a text to score."
            )
        elif sample:
            text, _ = datasets.load_sample(self.spec.dataset)
            text, split = text[:limit] if limit else text, "val-sample"
        else:
            text, _ = datasets.load(self.spec.dataset, split, data_dir=data_dir, limit=limit)
        metrics = validation_loss(model, text)
        result = self.record(split, metrics.pop("characters"), metrics)
        return {**result, "dataset": str(data)} if data is not None else result

    def train(self, options) -> dict:
        from zoo.families.char_gpt import language_modeling

        return language_modeling.train(self.spec, options)

    def finetune(self, data, options) -> dict:
        """Train from this model's weights on a UTF-8 text (or a folder of .txt); see
        language_modeling.finetune. The result has the base's and the fine-tuned loss on the last 10%."""
        from zoo.families.char_gpt import language_modeling

        return language_modeling.finetune(self.spec, data, options)

    def generate(self, model, options: dict, stream=None) -> dict:
        """Continue `options["prompt"]` by `max_new` characters with a keras-hub sampler; streams
        characters to `stream` when given, else returns {"text", "tokens_per_s", "backend"}."""
        from zoo.families.char_gpt import generation

        max_new = options.get("max_new", 500)
        if max_new is None or not 1 <= max_new <= 100_000:
            raise ValueError(f"--max-new must be between 1 and 100000 characters, got {max_new}.")
        sampler = generation.make_sampler(
            options.get("sampler", "greedy"),
            options.get("temperature", 1.0),
            options.get("k", 10),
            options.get("p", 0.9),
            seed=options.get("seed", 0),
            vocabulary_size=len(model.tokenizer),
        )
        prompt, use_cache = options.get("prompt", ""), not options.get("no_cache", False)
        generation.prompt_ids(model, prompt)  # unknown characters fail here, before any output
        if stream is None:
            result = generation.generate_text(model, prompt, max_new, sampler, use_cache)
            return {**result, "backend": backend.current()}
        stream(prompt)
        for character in generation.generate(model, prompt, max_new, sampler, use_cache):
            stream(character)
        stream("\n")
        return {}

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"loss {metrics['val_loss']:.3f}"
