"""Cold start, measured: users and items the models never trained on.

A seeded `user_share` of the users and `item_share` of the items are removed from training entirely;
two_tower (its recipe, `epochs` epochs) and the baselines are trained on what remains.
- New users: each gives `given` of their items (a few likes); the rest of their items are the truth.
  two_tower reads the likes directly, ALS folds them in against its item factors, item-kNN sums
  neighbours, popularity ignores them. NeuMF needs a trained user id and cannot serve them.
- New items: known only by genres and type. For every other user, rank just the new items by
  two_tower's feature-only item vectors, vs a genre-profile match and a random order.
"""

from __future__ import annotations

import time

import numpy as np
from keras import ops
from scipy import sparse

import zoo
from applications.recommendation.tune import tuned_settings
from zoo.core import backend
from zoo.datasets import anime
from zoo.families.recommenders import ranking, recommendation
from zoo.families.recommenders.baselines import ALS, EASE, IALS, ItemKNN, Popularity


def _keep(matrix: sparse.csr_matrix, rows=None, columns=None) -> sparse.csr_matrix:
    """The matrix with every row not in `rows` and column not in `columns` emptied (shape kept)."""
    out = matrix.tocoo()
    mask = np.ones(out.nnz, bool)
    if rows is not None:
        mask &= np.isin(out.row, rows)
    if columns is not None:
        mask &= np.isin(out.col, columns)
    return sparse.csr_matrix((out.data[mask], (out.row[mask], out.col[mask])), shape=matrix.shape)


def experiment(
    user_share: float = 0.1,
    item_share: float = 0.05,
    given: int = 5,
    epochs: int = 4,
    data_dir=None,
    sample: bool = False,
    seed: int = 0,
    log=print,
) -> dict:
    parts = anime.load_sample() if sample else anime.load_split(data_dir)
    everything = (parts.train + parts.val + parts.test).tocsr()
    n_users, n_items = everything.shape
    rng = np.random.default_rng(seed)
    active = np.flatnonzero(np.diff(everything.indptr) > 0)
    new_users = np.sort(rng.choice(active, max(1, int(user_share * len(active))), replace=False))
    new_items = np.sort(rng.choice(n_items, int(item_share * n_items), replace=False))
    old_users, old_items = (
        np.setdiff1d(np.arange(n_users), new_users),
        np.setdiff1d(np.arange(n_items), new_items),
    )
    train = _keep(parts.train, old_users, old_items)
    log(f"training on {train.nnz} interactions; held out: {len(new_users)} users, {len(new_items)} items")

    backend.seed_everything(seed)
    started = time.time()
    items = anime.load_items(data_dir)
    tower = recommendation.train_fresh("two_tower", train, items, epochs=epochs, seed=seed)
    tuned = tuned_settings()
    models = {
        "two_tower": tower,
        # mult_vae reads a new user's likes as its input, like two_tower; it trains the same share of
        # its own recipe's epochs as two_tower does of its recipe's
        "mult_vae": recommendation.train_fresh(
            "mult_vae", train, items, epochs=_share_of_recipe(epochs), seed=seed
        ),
        "ease": EASE(train, **tuned.get("ease", {})),
        "ials": IALS(train, **tuned.get("ials", {})),
        "als": ALS(train, **tuned.get("als", {})),
        "item_knn": ItemKNN(train, **tuned.get("item_knn", {})),
        "popularity": Popularity(train),
    }
    log(f"models trained in {time.time() - started:.0f} s")

    # New users: `given` likes each among the known items, the rest of their known items as truth.
    liked = _keep(everything, new_users, old_items)
    history_rows, history_items, truth_rows, truth_items = [], [], [], []
    for user in new_users:
        own = rng.permutation(liked.indices[liked.indptr[user] : liked.indptr[user + 1]])
        if len(own) > given:
            history_rows += [user] * given
            history_items += list(own[:given])
            truth_rows += [user] * (len(own) - given)
            truth_items += list(own[given:])
    history = sparse.csr_matrix(
        (np.ones(len(history_rows)), (history_rows, history_items)), shape=everything.shape
    )
    truth = sparse.csr_matrix((np.ones(len(truth_rows)), (truth_rows, truth_items)), shape=everything.shape)
    users_result = {name: recommendation.evaluate(model, history, truth) for name, model in models.items()}

    # New items: other users' known history as input, their new items as truth, only new items ranked.
    features = items.features()
    no_id = np.zeros(len(new_items), "float32")

    def tower_scores(
        rows,
    ):  # the new items' vectors from their features alone (id embedding and bias dropped)
        users = tower.user_vectors(rows.toarray().astype("float32"))
        return ops.convert_to_numpy(tower.logits(users, new_items, no_id, features[new_items]))

    def genre_profile(rows):
        return np.asarray(rows @ features) @ features[new_items].T

    def random_order(rows):
        return np.random.default_rng(seed).random((rows.shape[0], len(new_items)))

    known = _keep(everything, old_users, old_items)
    wanted = _keep(everything, old_users, new_items)[:, new_items].tocsr()
    scorers = {"two_tower": tower_scores, "genre_profile": genre_profile, "random": random_order}
    items_result = {name: _rank_new_items(scorer, known, wanted) for name, scorer in scorers.items()}
    return {
        "new_users": {"n_users": users_result["two_tower"]["n_users"], "given": given,
                      "ndcg@10": {n: m["ndcg@10"] for n, m in users_result.items()},
                      "recall@10": {n: m["recall@10"] for n, m in users_result.items()}},
        "new_items": {"n_items": int(len(new_items)), "n_users": items_result["random"]["n_users"],
                      "ndcg@10": {n: m["ndcg@10"] for n, m in items_result.items()},
                      "recall@10": {n: m["recall@10"] for n, m in items_result.items()}},
        "settings": {"user_share": user_share, "item_share": item_share, "given": given, "epochs": epochs,
                     "seed": seed},
        "split": "sample" if sample else "full",
        "backend": backend.current(),
    }  # fmt: skip


def _share_of_recipe(epochs: int) -> int:
    """mult_vae's epochs for `epochs` of two_tower: the same fraction of each recipe."""
    share = epochs / zoo.card("two_tower")["recipe"]["epochs"]
    return max(1, round(share * zoo.card("mult_vae")["recipe"]["epochs"]))


def _rank_new_items(score, known: sparse.csr_matrix, wanted: sparse.csr_matrix) -> dict:
    """Metrics of ranking only the new items (the columns of `wanted`) for the users who have any;
    score(history rows) -> (rows, new items)."""
    users = np.flatnonzero(np.diff(wanted.indptr) > 0)
    top = np.zeros((wanted.shape[0], 10), "int64")
    nothing_seen = sparse.csr_matrix((len(users), wanted.shape[1]))
    for start in range(0, len(users), 512):
        some = users[start : start + 512]
        top[some] = ranking.top_k(score(known[some]), nothing_seen[: len(some)], 10)
    return ranking.ranking_metrics(top, wanted, np.zeros(wanted.shape[1]))
