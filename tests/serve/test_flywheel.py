"""The flywheel: feedback rows -> retrain -> a version served only when it is not worse on validation."""

from __future__ import annotations

import json

import pytest

import zoo
from applications.recommendation import __main__ as recommendation_cli
from applications.recommendation import retrain
from tests.serve.conftest import ONCE, png
from zoo.core import model_dir, versions
from zoo.core.feedback import FeedbackStore, export_corrections
from zoo.datasets import anime

LIKES = ["Cowboy Bebop", "Steins;Gate", "Monster", "Death Note", "Samurai Champloo"]


@pytest.fixture
def feedback(tmp_path):
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    store = FeedbackStore(url)
    for user in range(12):
        for title in LIKES[: 2 + user % 4]:
            store.add(model="two_tower", version="shipped", kind="like", label=title, user=f"u{user}")
    store.add(model="two_tower", version="shipped", kind="dislike", label="Monster", user="u3")
    store.add(model="two_tower", version="shipped", kind="like", label="No Such Title", user="u3")
    return url


def test_feedback_becomes_histories():
    items = anime.load_items()
    rows = [{"id": i, "user": u, "kind": k, "label": t} for i, (u, k, t) in enumerate([
        ("a", "like", "Monster"), ("a", "like", "Cowboy Bebop"), ("a", "dislike", "Monster"),
        (None, "like", "Death Note"), ("b", "like", "Nope Nope"), ("b", "label", "Monster")])]  # fmt: skip
    matrix, ignored = retrain.feedback_histories(rows, items)
    liked = [sorted(items.names[i] for i in row.indices) for row in matrix]
    assert liked == [["Cowboy Bebop"], ["Death Note"]] and ignored == 2


def test_retrain_promotes_only_what_is_not_worse(feedback, tmp_path):
    root = tmp_path / "versions"
    good = retrain.retrain(feedback, root, epochs=1, sample=True, log=lambda m: None)
    shipped = retrain._measure(zoo.load("two_tower"), anime.load_sample())["val"]["ndcg@10"]
    assert good["incumbent"] == pytest.approx(shipped, abs=1e-6)  # judged against the served model
    assert good["settings"]["feedback_users"] == 12
    assert model_dir.read(root / "two_tower" / "v1")["card"]["validation"]["metrics"] == good["metrics"]
    served = versions.history(root, "two_tower")["current"]
    bad = retrain.retrain(feedback, root, epochs=1, sample=True, learning_rate=5.0, log=lambda m: None)
    assert bad["metrics"]["ndcg@10"] < bad["incumbent"] and not bad["promoted"]
    assert versions.history(root, "two_tower")["current"] == served  # the wrecked v2 is not served
    assert (root / "two_tower" / "v2" / "model.json").is_file()  # but kept, with its figures


@ONCE
def test_the_server_serves_the_promoted_version_and_rolls_back(feedback, tmp_path, capsys):
    from zoo.serve.service import Service

    root = tmp_path / "versions"
    first = retrain.retrain(feedback, root, epochs=1, sample=True, log=lambda m: None)
    service = Service(["two_tower"], versions_dir=root, db=feedback)
    served = service.describe("two_tower")["version"]
    assert served == "v1" if first["promoted"] else served.startswith("sha256:")
    assert recommendation_cli.main(["flywheel", "--versions", str(root), "--rollback", "v1"]) == 0
    assert service.describe("two_tower")["version"] == "v1"
    assert service.get("two_tower").source == str(root / "two_tower" / "v1")
    assert len(service.recommend(["Cowboy Bebop"], 5)) == 5
    service.feedback(model="two_tower", kind="like", label="Monster")
    assert service.store.rows()[-1]["version"] == "v1"  # feedback names the version that was served
    assert recommendation_cli.main(["flywheel", "--versions", str(root), "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert listed["current"] == "v1" and [v["version"] for v in listed["versions"]] == ["v1"]
    assert recommendation_cli.main(["flywheel", "--versions", str(root), "--rollback", "shipped"]) == 0
    assert service.describe("two_tower")["version"].startswith("sha256:")
    assert recommendation_cli.main(["flywheel", "--versions", str(root), "--rollback", "v7"]) == 2


@ONCE
def test_digit_corrections_fine_tune_a_model(tmp_path, mnist_sample):
    from zoo.core.finetuning import FinetuneOptions

    x, y = mnist_sample
    store = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.db'}")
    for image, label in zip(x[:120], y[:120], strict=True):
        store.add(model="mnist_cnn", version="v", kind="label", label=str(label), input=png(image))
    assert export_corrections(store, "mnist_cnn", tmp_path / "corrections") == 120
    options = FinetuneOptions(out_dir=str(tmp_path / "tuned"), epochs=1, freeze_epochs=0, batch_size=32)
    result = zoo.task("mnist_cnn").finetune(str(tmp_path / "corrections"), options)
    assert result["metrics"]["accuracy"] > 0.8 and model_dir.is_model_dir(tmp_path / "tuned")
    from zoo.serve.service import Service

    service = Service(["mnist_mlp"], models_dir=tmp_path, db=f"sqlite:///{tmp_path / 'feedback.db'}")
    assert service.names() == ["mnist_mlp", "tuned"]  # a fine-tuned model in the models folder is served
    assert service.describe("tuned")["page"] == "digits"
    assert service.predict_array("tuned", x[:1, :, :, None])[0]["label"] in [str(d) for d in range(10)]
