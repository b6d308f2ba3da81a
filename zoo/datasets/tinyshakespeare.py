"""Tiny Shakespeare: 1,115,394 characters of Shakespeare (Karpathy's char-rnn corpus).

Split as nanoGPT does: the first 90% of the characters train, the last 10% validate.
Text datasets give (text, None) instead of arrays: a language model makes its own targets.
"""

from __future__ import annotations

from zoo.datasets._lookup import local_file, online

NAME = "tinyshakespeare"
SPLITS = ("train", "val")
FILENAME = "input.txt"
TRAIN_FRACTION = 0.9


def load(split: str = "val", data_dir=None) -> tuple[str, None]:
    """The text of one split."""
    path = local_file(NAME, FILENAME, data_dir) or online(NAME, FILENAME)
    text = path.read_text(encoding="utf-8")
    cut = int(len(text) * TRAIN_FRACTION)
    return (text[:cut], None) if split == "train" else (text[cut:], None)
