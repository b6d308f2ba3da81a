"""Tiny Shakespeare: 1,115,394 characters of Shakespeare (Karpathy's char-rnn corpus).

Split as nanoGPT does: the first 90% of the characters train, the last 10% validate.
Text datasets give (text, None) instead of arrays: a language model makes its own targets.
"""

from __future__ import annotations

from zoo.datasets._lookup import local_file, missing

NAME = "tinyshakespeare"
SPLITS = ("train", "val")
FILENAME = "input.txt"
TRAIN_FRACTION = 0.9


def _download() -> str:
    """The same corpus from tensorflow_datasets (its three splits are consecutive slices of it)."""
    import tensorflow_datasets as tfds

    parts = tfds.load("tiny_shakespeare", split=["train", "validation", "test"], batch_size=-1)
    return "".join(tfds.as_numpy(p)["text"][0].decode("utf-8") for p in parts)


def load(split: str = "val", data_dir=None) -> tuple[str, None]:
    """The text of one split."""
    path = local_file(NAME, FILENAME, data_dir)
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:
        try:
            text = _download()
        except Exception as exc:  # no network, no tfds: one clear message instead
            raise missing(NAME, FILENAME, f"{type(exc).__name__}: {exc}") from None
    cut = int(len(text) * TRAIN_FRACTION)
    return (text[:cut], None) if split == "train" else (text[cut:], None)
