"""Recommendations for one user, known by id or by a few liked titles, with a reason per item.

The reason names the user's liked item nearest to the recommendation (cosine of the item vectors for
two_tower, the item-kNN similarity for item_knn) and the genres they share; models without item
similarities (popularity, als, neumf) give no nearest item.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from zoo.datasets import anime
from zoo.families.recommenders import ranking


@dataclass(frozen=True)
class Recommendation:
    item: int
    title: str
    score: float
    because: list[str]  # the nearest liked title (empty when the model has no item similarity)
    genres: list[str]  # genres shared with it


def find_title(query: str, items: anime.Items) -> int:
    """The item whose title matches `query`: exact (case-insensitive), else the one close match;
    several or none -> ValueError listing the close titles."""
    wanted = query.strip().casefold()
    if not wanted:
        raise ValueError("an empty title was given; name at least one liked title.")
    folded = [name.casefold() for name in items.names]
    exact = [i for i, name in enumerate(folded) if name == wanted]
    if exact:
        return exact[0]
    close = difflib.get_close_matches(wanted, folded, n=6, cutoff=0.75)
    containing = [name for name in folded if wanted in name]
    candidates = list(dict.fromkeys(close + containing))
    if len(candidates) == 1:
        return folded.index(candidates[0])
    near = difflib.get_close_matches(wanted, folded, n=5, cutoff=0.4) if not candidates else candidates[:8]
    shown = "; ".join(items.names[folded.index(name)] for name in near) or "none"
    verdict = "is ambiguous" if candidates else "matches no title"
    raise ValueError(f"{query!r} {verdict}; close titles: {shown}.")


def history_of_titles(titles: list[str], items: anime.Items) -> sparse.csr_matrix:
    """A one-row history from liked titles (each matched by find_title)."""
    if not [t for t in titles if t.strip()]:
        raise ValueError('no liked titles were given; pass e.g. --like "Cowboy Bebop,Steins;Gate".')
    ids = sorted({find_title(t, items) for t in titles if t.strip()})
    return sparse.csr_matrix(
        (np.ones(len(ids), "float32"), ([0] * len(ids), ids)), shape=(1, len(items.names))
    )


def item_similarity(model, ids: np.ndarray, liked: np.ndarray) -> np.ndarray | None:
    """(len(ids), len(liked)) similarity of recommended to liked items as the model sees items, or None."""
    if hasattr(model, "all_item_vectors"):
        from keras import ops

        vectors = ops.convert_to_numpy(model.all_item_vectors())
        return vectors[ids] @ vectors[liked].T
    if hasattr(model, "similarity"):
        return model.similarity[np.ix_(ids, liked)]
    return None


def recommend(model, history: sparse.csr_matrix, user: int | None, items: anime.Items, k: int = 10):
    """The k best unseen items for the one user in `history` (row 0), best first, with reasons."""
    if k < 1:
        raise ValueError(f"k must be a positive number of items, got {k}.")
    scores = np.asarray(model.score(history, np.array([0 if user is None else user])))
    top = ranking.top_k(scores, history, k)[0]
    liked = history.indices
    similarity = item_similarity(model, top, liked) if len(liked) else None
    results = []
    for row, item in enumerate(top):
        nearest = [] if similarity is None else liked[np.argsort(-similarity[row])[:1]]
        shared = sorted(set(items.genres[item]) & {g for n in nearest for g in items.genres[n]})
        results.append(
            Recommendation(
                int(item),
                items.names[item],
                float(scores[0, item]),
                [items.names[n] for n in nearest],
                shared,
            )
        )
    return results
