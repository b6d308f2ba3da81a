"""Characters <-> ids for character language models, with a clear error for unknown characters."""

from __future__ import annotations

import numpy as np


class UnknownCharacters(ValueError):
    """Text with characters outside a model's vocabulary."""


class CharTokenizer:
    """A fixed character vocabulary: the id of a character is its index in `vocabulary`."""

    def __init__(self, vocabulary: str):
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("a character vocabulary must not repeat characters.")
        self.vocabulary = vocabulary
        self._ids = {c: i for i, c in enumerate(vocabulary)}
        # ASCII vocabularies (the usual case) encode through a lookup table, 1M characters in ms.
        self._table = None
        if all(ord(c) < 128 for c in vocabulary):
            self._table = np.full(128, -1, dtype="int32")
            self._table[[ord(c) for c in vocabulary]] = np.arange(len(vocabulary), dtype="int32")

    def __len__(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        """int32 ids of `text`; UnknownCharacters names any character the vocabulary lacks."""
        unknown = sorted(set(text) - set(self.vocabulary))
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:10])
            raise UnknownCharacters(
                f"the text has {len(unknown)} character(s) outside the model's vocabulary: {shown}; "
                f"accepted are the {len(self.vocabulary)} characters {self.vocabulary!r}."
            )
        if self._table is not None:
            return self._table[np.frombuffer(text.encode("ascii"), dtype="uint8")]
        return np.array([self._ids[c] for c in text], dtype="int32")

    def decode(self, ids) -> str:
        return "".join(self.vocabulary[int(i)] for i in np.asarray(ids).reshape(-1))
