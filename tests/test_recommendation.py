"""Recommendation (work in progress, issue #9): the metrics against hand-computed values, the split
leaks nothing, the baselines rank what they should."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import full_data
from scipy import sparse

from applications.recommendation import baselines, data, metrics


def csr(rows):
    users = [u for u, items in enumerate(rows) for _ in items]
    items = [i for row in rows for i in row]
    return sparse.csr_matrix((np.ones(len(items)), (users, items)), shape=(len(rows), 6))


def test_metrics_by_hand():
    # User 0 holds out {1, 4}; its list [4, 2, 1] hits at ranks 1 and 3. User 1 holds out {5}: no hit.
    top = np.array([[4, 2, 1], [0, 2, 3]])
    truth = csr([[1, 4], [5]])
    popularity = np.array([10, 0, 5, 1, 2, 0], float)
    got = metrics.ranking_metrics(top, truth, popularity)
    ndcg_user0 = (1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3))
    assert got["recall@3"] == pytest.approx((1.0 + 0.0) / 2)
    assert got["ndcg@3"] == pytest.approx(ndcg_user0 / 2)
    assert got["hr@3"] == pytest.approx(0.5)
    assert got["coverage"] == pytest.approx(5 / 6)  # items 0, 1, 2, 3, 4
    assert got["popularity"] == pytest.approx((2 + 5 + 0 + 10 + 5 + 1) / 6)
    assert got["n_users"] == 2


def test_top_k_never_recommends_a_training_item():
    scores = np.array([[5.0, 4, 3, 2, 1, 0]])
    top = metrics.top_k(scores, csr([[0, 2]]), k=3)
    np.testing.assert_array_equal(top, [[1, 3, 4]])


def test_split_partitions_every_user_and_is_seeded():
    rng = np.random.default_rng(0)
    matrix = csr([sorted(rng.choice(6, size=rng.integers(1, 7), replace=False)) for _ in range(40)])
    parts = data.split(matrix, seed=3)
    total = parts.train + parts.val + parts.test
    assert (total != matrix).nnz == 0 and total.max() == 1  # disjoint and complete: no pair in two parts
    assert parts.test.multiply(parts.train).nnz == 0 and parts.val.multiply(parts.train).nnz == 0
    again = data.split(matrix, seed=3)
    assert (again.test != parts.test).nnz == 0
    sizes = np.diff(matrix.indptr)
    np.testing.assert_array_equal(np.diff(parts.test.indptr), (sizes * 0.2).astype(int))


def test_baselines_rank_the_obvious_item_first():
    # Items 0 and 1 always go together; a user with only item 0 should be offered item 1 first.
    train = csr([[0, 1], [0, 1], [0, 1, 2], [3, 4], [0]])
    knn, als = baselines.item_knn(train, neighbors=3), baselines.als(train, factors=4, alpha=5.0, reg=0.1)
    for scores in (knn, als):
        assert metrics.top_k(scores, train, k=1)[4, 0] == 1
    assert metrics.top_k(baselines.popularity(train), train, k=1)[4, 0] == 1


@pytest.mark.skipif(not full_data("anime", "interactions.csv"), reason="set ZOO_DATA_DIR for the anime data")
def test_real_split_sizes_and_items():
    matrix = data.load_interactions()
    assert matrix.shape == (5_000, 7_390) and matrix.nnz == 520_609
    parts = data.split(matrix)
    assert parts.train.nnz + parts.val.nnz + parts.test.nnz == matrix.nnz
    items = data.load_items()
    assert items.names[0] == "D.N.Angel" and "Action" in items.genres[0] and items.kinds[0] == "TV"
