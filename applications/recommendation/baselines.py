"""Strong simple recommenders, each a (train matrix) -> user x item score matrix.

popularity: how many training users have the item. item_knn: cosine similarity between item
columns, pruned to each item's `neighbors` nearest, scores = train @ similarity (Sarwar et al.
2001). als: implicit-feedback matrix factorisation by alternating least squares, confidence
1 + alpha on observed pairs (Hu, Koren and Volinsky 2008).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def popularity(train: sparse.csr_matrix) -> np.ndarray:
    counts = np.asarray(train.sum(axis=0)).ravel()
    return np.broadcast_to(counts, train.shape)


def item_knn(train: sparse.csr_matrix, neighbors: int = 100) -> np.ndarray:
    norms = np.sqrt(np.asarray(train.multiply(train).sum(axis=0)).ravel()) + 1e-9
    similarity = (train.T @ train).toarray() / np.outer(norms, norms)
    np.fill_diagonal(similarity, 0.0)
    if neighbors < similarity.shape[0]:  # keep each item's `neighbors` most similar items
        cut = np.partition(similarity, -neighbors, axis=1)[:, -neighbors][:, None]
        similarity = np.where(similarity >= cut, similarity, 0.0)
    return np.asarray(train @ similarity)


def _als_half_step(ratings: sparse.csr_matrix, fixed: np.ndarray, alpha: float, reg: float) -> np.ndarray:
    """Solve every row's factors with the other side held fixed (exact least squares per row)."""
    gram = fixed.T @ fixed + reg * np.eye(fixed.shape[1])
    solved = np.zeros((ratings.shape[0], fixed.shape[1]))
    for row in range(ratings.shape[0]):
        observed = fixed[ratings.indices[ratings.indptr[row] : ratings.indptr[row + 1]]]
        if len(observed):
            solved[row] = np.linalg.solve(gram + alpha * observed.T @ observed, (1 + alpha) * observed.sum(0))
    return solved


def als_factors(
    train: sparse.csr_matrix,
    factors: int = 64,
    alpha: float = 10.0,
    reg: float = 1.0,
    iterations: int = 10,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(user factors, item factors) of implicit ALS."""
    rng = np.random.default_rng(seed)
    items = rng.normal(scale=0.01, size=(train.shape[1], factors))
    by_item = train.T.tocsr()
    for _ in range(iterations):
        users = _als_half_step(train, items, alpha, reg)
        items = _als_half_step(by_item, users, alpha, reg)
    return users, items


def als(train: sparse.csr_matrix, **settings) -> np.ndarray:
    users, items = als_factors(train, **settings)
    return users @ items.T
