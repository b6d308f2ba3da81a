"""Full-ranking top-k metrics for recommenders: every item a user has not trained on is a candidate.

recall@k = hits / |held-out items|; NDCG@k with binary relevance (ideal DCG over min(k, |held-out|)
items); HR@k = 1 when any held-out item is in the top k; coverage = distinct recommended items /
catalogue; popularity = mean training-interaction count of the recommended items.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def top_k(scores: np.ndarray, seen: sparse.csr_matrix, k: int) -> np.ndarray:
    """(users, k) item indices by descending score, never an item the user was trained on."""
    scores = np.array(scores, dtype="float64", copy=True)
    rows, cols = seen.nonzero()
    scores[rows, cols] = -np.inf
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def ranking_metrics(
    top: np.ndarray, truth: sparse.csr_matrix, popularity: np.ndarray, per_user: bool = False
) -> dict:
    """Mean recall/NDCG/HR over users with held-out items, coverage and popularity of the lists;
    with `per_user`, also each of those users' NDCG (under "per_user_ndcg", for paired tests)."""
    k = top.shape[1]
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recall, ndcg, hit = [], [], []
    for user in users:
        relevant = truth.indices[truth.indptr[user] : truth.indptr[user + 1]]
        hits = np.isin(top[user], relevant)
        recall.append(hits.sum() / len(relevant))
        ndcg.append((hits * discounts).sum() / discounts[: min(k, len(relevant))].sum())
        hit.append(hits.any())
    listed = top[users]
    extra = {"per_user_ndcg": np.asarray(ndcg)} if per_user else {}
    return {
        f"recall@{k}": float(np.mean(recall)),
        f"ndcg@{k}": float(np.mean(ndcg)),
        f"hr@{k}": float(np.mean(hit)),
        "coverage": float(len(np.unique(listed)) / truth.shape[1]),
        "popularity": float(popularity[listed].mean()),
        "n_users": int(len(users)),
        **extra,
    }
