"""Strong simple recommenders with the zoo recommenders' interface: fit on a training matrix, then
score(history, users) -> (len(users), items) from each user's known items (CSR rows).

Popularity: how many training users have the item. ItemKNN: cosine similarity between item columns,
pruned to each item's `neighbors` nearest; scores = history @ similarity (Sarwar et al. 2001).
ALS: implicit-feedback matrix factorisation by alternating least squares, confidence 1 + alpha on
observed pairs (Hu, Koren and Volinsky 2008); a user's factors are solved from their history
against the fixed item factors, which is also how a new user is folded in.
EASE: a closed-form item-item model, B = I - P diag(1/diag(P)) with P = (X'X + lambda I)^-1 and a
zero diagonal (Steck 2019); scores = history @ B, so a new user needs nothing but their history.
IALS: the same model family as ALS, fitted by the `implicit` library (conjugate-gradient solver,
native code); a history is folded in with its `recalculate_user`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


class Popularity:
    def __init__(self, train: sparse.csr_matrix):
        self.counts = np.asarray(train.sum(axis=0)).ravel()

    def score(self, history: sparse.csr_matrix, users=None) -> np.ndarray:
        return np.broadcast_to(self.counts, (history.shape[0], len(self.counts)))


class ItemKNN:
    def __init__(self, train: sparse.csr_matrix, neighbors: int = 100):
        norms = np.sqrt(np.asarray(train.multiply(train).sum(axis=0)).ravel()) + 1e-9
        similarity = (train.T @ train).toarray() / np.outer(norms, norms)
        np.fill_diagonal(similarity, 0.0)
        if neighbors < similarity.shape[0]:  # keep each item's `neighbors` most similar items
            cut = np.partition(similarity, -neighbors, axis=1)[:, -neighbors][:, None]
            similarity = np.where(similarity >= cut, similarity, 0.0)
        self.similarity = similarity.astype("float32")

    def score(self, history: sparse.csr_matrix, users=None) -> np.ndarray:
        return np.asarray(history @ self.similarity)


def _solve_rows(ratings: sparse.csr_matrix, fixed: np.ndarray, alpha: float, reg: float) -> np.ndarray:
    """Every row's factors with the other side held fixed (exact weighted least squares per row)."""
    gram = fixed.T @ fixed + reg * np.eye(fixed.shape[1])
    solved = np.zeros((ratings.shape[0], fixed.shape[1]))
    for row in range(ratings.shape[0]):
        observed = fixed[ratings.indices[ratings.indptr[row] : ratings.indptr[row + 1]]]
        if len(observed):
            solved[row] = np.linalg.solve(gram + alpha * observed.T @ observed, (1 + alpha) * observed.sum(0))
    return solved


class ALS:
    def __init__(self, train: sparse.csr_matrix, factors=64, alpha=10.0, reg=1.0, iterations=10, seed=0):
        self.alpha, self.reg = alpha, reg
        items = np.random.default_rng(seed).normal(scale=0.01, size=(train.shape[1], factors))
        by_item = train.T.tocsr()
        for _ in range(iterations):
            users = _solve_rows(train, items, alpha, reg)
            items = _solve_rows(by_item, users, alpha, reg)
        self.item_factors = items

    def user_factors(self, history: sparse.csr_matrix) -> np.ndarray:
        return _solve_rows(sparse.csr_matrix(history), self.item_factors, self.alpha, self.reg)

    def score(self, history: sparse.csr_matrix, users=None) -> np.ndarray:
        return self.user_factors(history) @ self.item_factors.T


class EASE:
    def __init__(self, train: sparse.csr_matrix, lam: float = 500.0):
        gram = (train.T @ train).toarray().astype("float64")
        gram[np.diag_indices_from(gram)] += lam
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)  # column j divided by P_jj
        np.fill_diagonal(weights, 0.0)
        self.weights = weights.astype("float32")

    def score(self, history: sparse.csr_matrix, users=None) -> np.ndarray:
        return np.asarray(history @ self.weights)


class IALS:
    def __init__(
        self, train: sparse.csr_matrix, factors=128, regularization=1.0, alpha=10.0, iterations=15, seed=0
    ):
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        # implicit's own threads do the work; BLAS threads would fight them (and implicit warns)
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(
                factors=factors,
                regularization=regularization,
                alpha=alpha,
                iterations=iterations,
                random_state=seed,
                calculate_training_loss=False,
            )
            self.model.fit(sparse.csr_matrix(train, dtype="float32"), show_progress=False)

    def score(self, history: sparse.csr_matrix, users=None) -> np.ndarray:
        history = sparse.csr_matrix(history, dtype="float32")
        factors = self.model.recalculate_user(np.arange(history.shape[0]), history)
        return np.asarray(factors @ self.model.item_factors.T)
