"""Recommendation: metrics against hand-computed values, a split that leaks nothing, baselines and
zoo recommenders that rank what they should, the shipped models' measured quality, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import ops
from scipy import sparse

import zoo
from applications.recommendation import __main__ as cli
from applications.recommendation import recommend
from tests.conftest import full_data
from zoo.core.registry import AdamRecipe
from zoo.datasets import anime
from zoo.families.recommenders import baselines, neumf, ranking, recommendation, two_tower

requires_anime = pytest.mark.skipif(
    not full_data("anime", "interactions.csv"), reason="the full anime data ($ZOO_DATA_DIR/anime/) not found"
)


def csr(rows, items=6):
    users = [u for u, row in enumerate(rows) for _ in row]
    columns = [i for row in rows for i in row]
    return sparse.csr_matrix((np.ones(len(columns), "float32"), (users, columns)), shape=(len(rows), items))


def test_metrics_by_hand():
    # User 0 holds out {1, 4}; its list [4, 2, 1] hits at ranks 1 and 3. User 1 holds out {5}: no hit.
    top = np.array([[4, 2, 1], [0, 2, 3]])
    truth = csr([[1, 4], [5]])
    popularity = np.array([10, 0, 5, 1, 2, 0], float)
    got = ranking.ranking_metrics(top, truth, popularity)
    ndcg_user0 = (1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3))
    assert got["recall@3"] == pytest.approx((1.0 + 0.0) / 2)
    assert got["ndcg@3"] == pytest.approx(ndcg_user0 / 2)
    assert got["hr@3"] == pytest.approx(0.5)
    assert got["coverage"] == pytest.approx(5 / 6)  # items 0, 1, 2, 3, 4
    assert got["popularity"] == pytest.approx((2 + 5 + 0 + 10 + 5 + 1) / 6)
    assert got["n_users"] == 2


def test_top_k_never_recommends_a_training_item():
    scores = np.array([[5.0, 4, 3, 2, 1, 0]])
    top = ranking.top_k(scores, csr([[0, 2]]), k=3)
    np.testing.assert_array_equal(top, [[1, 3, 4]])


def test_split_partitions_every_user_and_is_seeded():
    rng = np.random.default_rng(0)
    matrix = csr([sorted(rng.choice(6, size=rng.integers(1, 7), replace=False)) for _ in range(40)])
    parts = anime.split(matrix, seed=3)
    total = parts.train + parts.val + parts.test
    assert (total != matrix).nnz == 0 and total.max() == 1  # disjoint and complete: no pair in two parts
    assert parts.test.multiply(parts.train).nnz == 0 and parts.val.multiply(parts.train).nnz == 0
    again = anime.split(matrix, seed=3)
    assert (again.test != parts.test).nnz == 0
    sizes = np.diff(matrix.indptr)
    np.testing.assert_array_equal(np.diff(parts.test.indptr), (sizes * 0.2).astype(int))


def test_baselines_rank_the_obvious_item_first():
    # Items 0 and 1 always go together; a user with only item 0 should be offered item 1 first.
    train = csr([[0, 1], [0, 1], [0, 1, 2], [3, 4], [0]])
    for model in (
        baselines.ItemKNN(train, neighbors=3),
        baselines.ALS(train, factors=4, alpha=5.0, reg=0.1),
        baselines.Popularity(train),
    ):
        assert ranking.top_k(model.score(train, np.arange(5)), train, k=1)[4, 0] == 1


def test_als_fold_in_solves_the_weighted_least_squares():
    train = csr([[0, 1], [0, 1, 2], [3, 4], [2, 3, 5], [0, 5]])
    als = baselines.ALS(train, factors=3, alpha=5.0, reg=0.1, iterations=5)
    folded = als.user_factors(train[1:2])  # the confidence-weighted least squares of Hu et al., by hand:
    gram = als.item_factors.T @ als.item_factors + 0.1 * np.eye(3)
    seen = als.item_factors[[0, 1, 2]]
    expected = np.linalg.solve(gram + 5.0 * seen.T @ seen, 6.0 * seen.sum(0))
    np.testing.assert_allclose(folded[0], expected, rtol=1e-10)


def tiny_items(genres):
    return anime.Items(
        [f"title {i}" for i in range(len(genres))], [(g,) for g in genres], ["TV"] * len(genres)
    )


def test_pair_batches_hide_the_target_and_resume_exactly():
    train = csr([[0, 1, 2], [1, 3], [2, 4, 5], [0, 5]])
    batches = two_tower.PairBatches(train, batch_size=4, seed=1)
    inputs, labels = batches[0]
    np.testing.assert_array_equal(labels, np.arange(4))
    rows = train.toarray()
    for history, item in zip(inputs["history"], inputs["item"], strict=True):
        assert history[item] == 0.0  # the target is never in its own input
        user = next(u for u in range(4) if (rows[u] - history).sum() == 1 and rows[u][item] == 1)
        assert (rows[user] - history).sum() == 1  # the rest of that user's items are the input
    again = two_tower.PairBatches(train, batch_size=4, seed=1)
    np.testing.assert_array_equal(again[0][0]["item"], inputs["item"])
    batches.on_epoch_end()
    shuffled = [batches[i][0]["item"] for i in range(len(batches))]
    assert len(np.concatenate(shuffled)) == train.nnz


def test_neumf_negatives_are_never_items_the_user_has():
    train = csr([[0, 1, 2, 3], [1], [4, 5]], items=8)
    batches = neumf.NegativeSampledPairs(train, batch_size=64, seed=0, negatives=4)
    inputs, labels = batches[0]
    assert len(labels) == 7 * 5 and labels.sum() == 7
    has = train.toarray()[inputs["user"], inputs["item"]]
    np.testing.assert_array_equal(has, labels)


def test_neumf_fast_scores_equal_the_pairwise_model():
    model = neumf.build({"users": 4, "items": 9})
    users = np.array([0, 3])
    fast = model.score(None, users)
    pairs = {"user": np.repeat(users, 9).astype("int32"), "item": np.tile(np.arange(9), 2).astype("int32")}
    slow = np.asarray(model.predict(pairs, verbose=0)).reshape(2, 9)
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    with pytest.raises(ValueError, match="knows users 0..3"):
        model.score(None, np.array([4]))


def test_two_tower_learns_co_occurrence_and_places_new_items_by_genre():
    # Two tastes: action fans have items 0..4, romance fans 5..9. Items 10 (action) and 11 (romance)
    # have no interactions: a new item known only by its genre.
    rng = np.random.default_rng(0)
    rows = [sorted(rng.choice(range(0, 5) if u % 2 else range(5, 10), 4, replace=False)) for u in range(200)]
    train = csr(rows, items=12)
    model = two_tower.build({"items": 12, "hidden": 16, "dim": 8})
    model.prepare(train, tiny_items(["Action"] * 5 + ["Romance"] * 5 + ["Action", "Romance"]))
    recipe = AdamRecipe(epochs=1, batch_size=32, learning_rate=1e-2)
    recommendation.fit(model, train, recipe, two_tower.BATCHES, epochs=15)
    fan = csr([[0, 1]], items=12)  # a new user who likes two action items
    top = ranking.top_k(model.score(fan)[:, :10], fan[:, :10], k=3)[0]
    assert set(top) == {2, 3, 4}
    user = ops.convert_to_numpy(model.user_vectors(fan.toarray()))
    new_items = ops.convert_to_numpy(model.item_vectors(np.array([10, 11]), np.zeros(2, "float32")))
    action, romance = new_items @ user[0]
    assert action > romance


@pytest.fixture(scope="module")
def sample():
    return anime.load_sample()


def test_two_tower_compiled_scores_equal_keras_and_follow_a_weight_change(sample):
    """score() runs compiled (backend.compile_inference over all_logits); it must equal Keras's own
    logits of every item, at batch 1 and 5, and see a weight change (fine-tuning) without rebuilding."""
    model = zoo.load("two_tower")
    for history in (sample.train[:1], sample.train[:5]):
        users = model.user_vectors(history.toarray().astype("float32"))
        keras_scores = ops.convert_to_numpy(model.logits(users, np.arange(model.items)))
        np.testing.assert_allclose(model.score(history), keras_scores, rtol=0, atol=1e-5)
    if keras.backend.backend() == "torch":  # the compiled path there is a trace: it must be accepted
        from zoo.core import backend

        dense = ops.convert_to_tensor(history.toarray().astype("float32"))
        assert backend._torch_trace(model, model.all_logits, (dense,)) is not None
    model.item_bias.embeddings.assign(model.item_bias.embeddings + 1.0)
    np.testing.assert_allclose(model.score(history), keras_scores + 1.0, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["two_tower", "neumf", "mult_vae"])
def test_shipped_recommender_on_the_sample_is_consistent_with_its_card(name, sample, recorded, backend_name):
    card = recorded(name, backend_name)
    measured = recommendation.evaluate(zoo.load(name), sample.train + sample.val, sample.test)
    users = measured["n_users"]
    # per-user NDCG@10 lies in [0, 1]: its mean over this many users is within ~3 std of the card's
    assert measured["ndcg@10"] >= card["ndcg@10"] - 3 * 0.3 / np.sqrt(users)
    popularity = recommendation.evaluate(
        baselines.Popularity(sample.train), sample.train + sample.val, sample.test
    )
    assert measured["ndcg@10"] > popularity["ndcg@10"]


@requires_anime
@pytest.mark.parametrize("name", ["two_tower", "neumf", "mult_vae"])
def test_shipped_recommender_reproduces_its_card_on_the_full_test_split(name, recorded, backend_name):
    card = recorded(name, backend_name)
    result = zoo.task(name).evaluate(zoo.load(name))
    assert result["split"] == "test" and result["n"] == 4_567  # users with held-out test items
    assert result["metrics"]["ndcg@10"] == pytest.approx(card["ndcg@10"], abs=1e-4)


def test_title_matching_exact_close_and_ambiguous():
    items = anime.load_items()
    assert items.names[recommend.find_title("cowboy bebop", items)] == "Cowboy Bebop"
    assert items.names[recommend.find_title("Steins;Gate", items)] == "Steins;Gate"
    assert items.names[recommend.find_title("Cowboy Bebpo", items)] == "Cowboy Bebop"
    with pytest.raises(ValueError, match="ambiguous; close titles: .*Naruto"):
        recommend.find_title("Naruto", items) if "Naruto" not in items.names else recommend.find_title(
            "Narut", items
        )
    with pytest.raises(ValueError, match="matches no title"):
        recommend.find_title("qqqqzzzz xxxx", items)
    with pytest.raises(ValueError, match="no liked titles"):
        recommend.history_of_titles([" ", ""], items)


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "applications.recommendation", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_recommend_for_a_known_and_a_new_user(sample):
    user = int(np.flatnonzero(np.diff(sample.train.indptr) > 0)[0]) + 1
    done = run_cli("recommend", "--user", str(user), "--k", "5", "--sample", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert len(listed) == 5 and all(len(r["because"]) == 1 for r in listed)
    known = (sample.train + sample.val + sample.test)[user - 1].indices
    assert not set(r["item"] for r in listed) & set(known)  # nothing the user already has
    done = run_cli("recommend", "--like", "Cowboy Bebop,Steins;Gate", "--k", "3")
    assert done.returncode == 0, done.stderr
    assert "because you like" in done.stdout and done.stdout.count("\n") == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["recommend", "--user", "9999", "--sample"], "unknown user 9999; user ids are 1..5000"),
        (["recommend", "--like", " , "], "no liked titles"),
        (["recommend", "--like", "qqqqzzzz xxxx"], "matches no title"),
        (["recommend", "--like", "Cowboy Bebop", "--model", "neumf"], "neumf ranks only the users"),
        (["evaluate", "--models", "bpr", "--sample"], "unknown --models"),
    ],
)
def test_cli_refuses_bad_input_in_one_sentence(args, message):
    done = run_cli(*args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_evaluate_json_keys_on_the_sample(tmp_path):
    assert cli.MODELS == ("popularity", "item_knn", "als", "ease", "ials", "two_tower", "neumf", "mult_vae")
    done = run_cli("evaluate", "--sample", "--json", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for key in ("ndcg@10", "recall@10", "coverage"):
        assert set(result[key]) == set(cli.MODELS)
    assert result["n_users"] > 250 and (tmp_path / "comparison.png").stat().st_size > 10_000
    assert result["ndcg@10"]["two_tower"] > result["ndcg@10"]["popularity"]
    assert result["best_neural"] in ("two_tower", "neumf", "mult_vae")
    assert set(result["pvalue_vs"]) == {"popularity", "item_knn", "als", "ease", "ials"}
    assert all(0.0 <= p <= 1.0 for p in result["pvalue_vs"].values())


def test_flywheel_and_coldstart_run_on_the_sample(tmp_path):
    done = run_cli("flywheel", "--sample", "--rounds", "2", "--first-epochs", "1", "--epochs-per-round", "1",
                   "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = json.loads((tmp_path / "flywheel.json").read_text())["rounds"]
    assert [row["round"] for row in table] == [0, 1, 2] and table[0]["interactions"] < table[-1][
        "interactions"
    ]
    assert (tmp_path / "flywheel.png").stat().st_size > 10_000 and "ease" in table[0]
    done = run_cli("coldstart", "--sample", "--epochs", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result["new_users"]["ndcg@10"]) == {
        "two_tower", "mult_vae", "ease", "ials", "als", "item_knn", "popularity"
    }  # fmt: skip
    assert set(result["new_items"]["ndcg@10"]) == {"two_tower", "genre_profile", "random"}


@requires_anime
def test_real_split_sizes_and_items():
    matrix = anime.load_interactions()
    assert matrix.shape == (5_000, 7_390) and matrix.nnz == 520_609
    parts = anime.load_split()
    assert (parts.train.nnz, parts.val.nnz, parts.test.nnz) == (378_769, 39_698, 102_142)
    items = anime.load_items()
    assert items.names[0] == "D.N.Angel" and "Action" in items.genres[0] and items.kinds[0] == "TV"


def test_ease_equals_its_closed_form_by_hand():
    """B = I - P diag(1/diag(P)), P = (X'X + lambda I)^-1, diag(B) = 0 (Steck 2019, eq. 8)."""
    x = csr([[0, 1], [1, 2], [0, 2], [0, 1, 2]], items=3)
    lam = 0.5
    gram = (x.T @ x).toarray().astype("float64") + lam * np.eye(3)
    p = np.linalg.inv(gram)
    expected = np.eye(3) - p / np.diag(p)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(baselines.EASE(x, lam).weights, expected, atol=1e-6)
    np.testing.assert_allclose(baselines.EASE(x, lam).score(x), x.toarray() @ expected, atol=1e-5)


def test_ials_folds_in_a_history_like_its_own_users():
    rng = np.random.default_rng(0)
    rows = [sorted(rng.choice(range(0, 5) if u % 2 else range(5, 10), 3, replace=False)) for u in range(60)]
    train = csr(rows, items=10)
    model = baselines.IALS(train, factors=2, regularization=0.1, alpha=5.0, iterations=20)  # two tastes
    fan = csr([[0, 1]], items=10)  # a new user with two items of the first taste
    top = ranking.top_k(model.score(fan), fan, k=3)[0]
    assert set(top) <= {2, 3, 4}


def test_mult_vae_never_ranks_a_known_item_and_reads_a_new_user():
    model = zoo.load("mult_vae")
    parts = anime.load_sample()
    users = np.flatnonzero(np.diff(parts.train.indptr) > 0)[:20]
    top = recommendation.top_items(model, parts.train, users, k=50)
    for user, items in zip(users, top, strict=True):
        assert not set(items) & set(parts.train[user].indices)
    new_user = sparse.csr_matrix(parts.train[users[0]].toarray())  # a history it never saw as a user id
    np.testing.assert_allclose(model.score(new_user), model.score(parts.train[users[:1]]), atol=1e-5)
