"""The image generation task: digits drawn on request, measured by how often mnist_cnn reads
them as the digit asked for (and FID), written as PNG sheets (`zoo generate`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.core import outputs
from zoo.tasks.base import Task

MAX_IMAGES = 10_000


class ImageGenerator(Task):
    """(noise, digit) in, a 28x28 image out."""

    kind = "generation"
    page = "drawings"
    headline = "class_agreement"
    abilities = frozenset({"evaluate", "train", "generate"})
    hint = "it draws digits: use `zoo generate {name} --digit 7`"

    def evaluate(
        self, model, *, split=None, limit=None, data_dir=None, sample=False, tta=False, seed=0, data=None
    ):
        """Class agreement and FID of `limit` (default 10,000) samples balanced over digits.

        Example:
            >>> task = zoo.core.registry.get("dcgan_mnist").tasks()
            >>> task.evaluate(task.spec.load(), limit=100)["metrics"]["class_agreement"]
        """
        self.refuse_data(data)
        from zoo.families.dcgan import gan_metrics

        if split not in (None, "test") or sample or tta:
            raise ValueError(
                f"{self.name} is measured on samples it draws against MNIST test: "
                "no --split, --sample or --tta."
            )
        n = limit or 10_000
        return self.record(
            "generated vs test", n, gan_metrics.evaluate(model, n=n, seed=seed, data_dir=data_dir)
        )

    def train(self, options) -> dict:
        from zoo.families.dcgan import dcgan_mnist

        return dcgan_mnist.train(self.spec, options)

    def generate(self, model, options: dict, stream=None) -> dict:
        """A PNG sheet of digits: `digit` 0-9 or "all" (one row per digit), `n` images (or steps of
        an `interpolate` walk between two noise vectors), written to `out`."""
        from zoo.families.dcgan import image_grid

        text = options.get("digit")
        digits = list(range(10)) if text == "all" else [_digit(text)]
        n, interpolate, seed = options.get("n"), options.get("interpolate", False), options.get("seed", 0)
        if seed < 0:
            raise ValueError(f"--seed must be a whole number >= 0, got {seed}.")
        if n is not None and not 1 <= n <= MAX_IMAGES:
            raise ValueError(f"--n must be between 1 and {MAX_IMAGES} images, got {n}.")
        if interpolate:  # n: steps of the walk, one row per digit
            per_row = 10 if n is None else n
            if per_row < 2 or per_row * len(digits) > MAX_IMAGES:
                raise ValueError(
                    f"--n must be between 2 and {MAX_IMAGES // len(digits)} interpolation steps, got {n}."
                )
        elif len(digits) == 10:  # n: images in all, one row per digit
            per_row = 10 if n is None else n // 10
            if per_row < 1:
                raise ValueError(f"--digit all draws one row per digit: --n must be at least 10, got {n}.")
        else:
            per_row = 64 if n is None else n
        out = Path(options.get("out") or f"dcgan_{text}{'_interpolation' if interpolate else ''}.png")
        outputs.check_file(out, suffixes=(".png",), flag="--out")
        if interpolate:  # one row per digit: the same walk between two noise vectors
            start, end = model.noise(2, seed)
            noise = np.tile(image_grid.interpolate(start, end, per_row), (len(digits), 1))
            images = model.generate(np.repeat(digits, per_row), noise=noise)
            columns = per_row
        else:
            images = model.generate(np.repeat(digits, per_row), seed=seed)
            columns = per_row if len(digits) > 1 else int(np.ceil(np.sqrt(per_row)))
        image_grid.save_png(image_grid.grid(images, columns), out)
        return {"out": str(out), "images": int(len(images)), "digits": digits, "seed": seed}

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"agree {metrics['class_agreement']:.1%}"


def _digit(text: str | None) -> int:
    if text is None:
        raise ValueError("say which digit to draw: --digit 0-9 or --digit all.")
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 9:
        raise ValueError(f"--digit {text} is not a digit; use 0-9 or all.")
    return int(text)
