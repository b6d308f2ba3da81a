"""The feedback store on SQLite and on a real PostgreSQL server, the corrections export, and versions."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.serve.conftest import ONCE, png
from zoo.core import model_dir, versions
from zoo.core.feedback import FeedbackStore, export_corrections

pytestmark = ONCE
POSTGRES = os.environ.get("ZOO_TEST_POSTGRES_URL")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_rows_round_trip(tmp_path, engine):
    if engine == "postgresql" and not POSTGRES:
        pytest.skip("no PostgreSQL server: set ZOO_TEST_POSTGRES_URL (`.ci/postgres` starts one)")
    url = f"sqlite:///{tmp_path / 'new' / 'feedback.db'}" if engine == "sqlite" else POSTGRES
    store = FeedbackStore(url)
    image = png(np.full((28, 28), 200))
    first = store.add(model="two_tower", version="v1", kind="like", label="Monster", user="u1")
    second = store.add(model="mnist_mlp", version="sha256:ab", kind="label", label="7", input=image)
    assert second > first
    again = FeedbackStore(url)  # another process's view: the rows are in the database, not in memory
    (row,) = [r for r in again.rows(model="mnist_mlp", with_input=True) if r["id"] == second]
    assert row["input"] == image and row["label"] == "7" and row["kind"] == "label"
    assert row["created"].year >= 2026 and len(row["input_sha256"]) == 64
    assert "input" not in again.rows(model="two_tower")[0]


def test_bad_feedback_and_bad_urls(tmp_path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}")
    with pytest.raises(ValueError, match="not one of like, dislike, label"):
        store.add(model="m", version="v", kind="love")
    with pytest.raises(ValueError, match="needs the right label"):
        store.add(model="m", version="v", kind="label")
    with pytest.raises(ValueError, match="not a database URL"):
        FeedbackStore("feedback.db")
    with pytest.raises(ValueError, match="cannot open the feedback database"):
        FeedbackStore("postgresql+psycopg://nobody@127.0.0.1:1/none").rows()


def test_corrections_become_a_finetuning_folder(tmp_path):
    from zoo.core import user_data
    from zoo.core.registry import get

    store = FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}")
    for label, value in (("3", 10), ("5", 20), ("3", 30)):
        store.add(
            model="mnist_mlp", version="v", kind="label", label=label, input=png(np.full((28, 28), value))
        )
    store.add(
        model="mnist_mlp", version="v", kind="label", label="8", input=png(np.full((28, 28), 10))
    )  # relabelled
    assert export_corrections(store, "mnist_mlp", tmp_path / "fix") == 3
    images = user_data.read_images(tmp_path / "fix", get("mnist_mlp"))
    assert sorted(images.classes) == ["3", "5", "8"] and len(images.y) == 3
    with pytest.raises(ValueError, match="not an empty folder"):
        export_corrections(store, "mnist_mlp", tmp_path / "fix")
    with pytest.raises(ValueError, match="no corrected images of two_tower"):
        export_corrections(store, "two_tower", tmp_path / "none")


def test_versions_promote_only_what_is_not_worse(tmp_path):
    root, said = tmp_path / "versions", []
    assert versions.current_dir(root, "two_tower") is None
    first = versions.next_dir(root, "two_tower")
    assert first.name == "v1"
    first.mkdir(parents=True)
    entry = versions.add(root, "two_tower", first, {"ndcg@10": 0.40}, "ndcg@10", 0.38, log=said.append)
    assert entry["promoted"] and versions.current_dir(root, "two_tower") == first
    worse = versions.next_dir(root, "two_tower")
    worse.mkdir()
    entry = versions.add(root, "two_tower", worse, {"ndcg@10": 0.39}, "ndcg@10", 0.40, log=said.append)
    assert not entry["promoted"] and entry["served_before"] == "v1"
    assert versions.current_dir(root, "two_tower") == first and "not promoted (still v1)" in said[-1]
    versions.rollback(root, "two_tower", None)
    assert versions.current_dir(root, "two_tower") is None
    with pytest.raises(ValueError, match="no version 'v9'"):
        versions.rollback(root, "two_tower", "v9")
    assert [v["version"] for v in versions.history(root, "two_tower")["versions"]] == ["v1", "v2"]
    assert not model_dir.is_model_dir(first)  # versions hold model directories; these test ones are empty
