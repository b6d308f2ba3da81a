"""The data flywheel for real: the likes that `zoo serve` stored become new users' histories, two_tower
retrains on the base data plus them, and the new version is served only if it is not worse.

Each feedback user (a page session, or an API client's `user`) becomes one history row: the titles
they liked, less those they disliked later. two_tower reads a user's items rather than an id, so new
rows need no new parameters. The version being served (or the shipped weights) is trained further
for `epochs` on train + feedback; both are measured on the fixed validation split (full ranking,
known history = train), and the new one is promoted only when its NDCG@10 is at least the served
one's. The test split is measured too and recorded, never used to decide.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from scipy import sparse

import zoo
from zoo.core import backend, model_dir, versions
from zoo.core.feedback import FeedbackStore
from zoo.datasets import anime
from zoo.families.recommenders import recommendation

MODEL = "two_tower"
METRIC = "ndcg@10"


def feedback_histories(rows: list[dict], items: anime.Items) -> tuple[sparse.csr_matrix, int]:
    """(one row per feedback user of the items they like, rows ignored): likes minus later dislikes;
    a row without a user counts as a user of its own; titles the catalogue lacks are ignored."""
    index = {name: i for i, name in enumerate(items.names)}
    liked: dict[str, set[int]] = {}
    ignored = 0
    for row in rows:
        item = index.get(row["label"] or "")
        if item is None or row["kind"] not in ("like", "dislike"):
            ignored += 1
            continue
        who = liked.setdefault(row["user"] or f"row {row['id']}", set())
        (who.add if row["kind"] == "like" else who.discard)(item)
    users = [sorted(items_) for items_ in liked.values() if items_]
    pairs = [(u, i) for u, items_ in enumerate(users) for i in items_]
    data = np.ones(len(pairs), "float32")
    rows_, cols = (np.array(x, "int64") for x in zip(*pairs, strict=True)) if pairs else ([], [])
    return sparse.csr_matrix((data, (rows_, cols)), shape=(len(users), len(items.names))), ignored


def retrain(db: str, versions_dir, *, epochs: int = 2, learning_rate: float | None = None, data_dir=None,
            sample: bool = False, seed: int = 0, command: str = "", log=print) -> dict:  # fmt: skip
    """One turn of the flywheel; returns the new version's entry (with `promoted`)."""
    if epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {epochs}.")
    started = time.time()
    items = anime.load_items(data_dir)
    parts = anime.load_sample() if sample else anime.load_split(data_dir)
    rows = FeedbackStore(db).rows(model=MODEL)
    extra, ignored = feedback_histories(rows, items)
    if extra.shape[0] == 0:
        raise ValueError(f"the feedback database holds no likes of {MODEL} titles to retrain on.")
    log(
        f"{len(rows)} feedback rows of {MODEL}: {extra.shape[0]} users, {extra.nnz} liked items "
        f"({ignored} ignored)"
    )
    served = versions.current_dir(versions_dir, MODEL)
    model = zoo.load(str(served) if served else MODEL)
    before = _measure(model, parts)
    backend.seed_everything(seed)
    train = sparse.vstack([parts.train, extra]).tocsr()
    model.prepare(train, items)  # item frequencies now count the feedback too
    task = zoo.task(MODEL)
    recipe = task.spec.recipe
    if learning_rate is not None:
        recipe = dataclasses.replace(recipe, learning_rate=learning_rate)
    recommendation.fit(model, train, recipe, task.spec.family().BATCHES, epochs, seed)
    after = _measure(model, parts)
    path = versions.next_dir(versions_dir, MODEL)
    settings = {"epochs": epochs, "learning_rate": recipe.learning_rate, "seed": seed, "sample": sample,
                "feedback_rows": len(rows), "feedback_users": int(extra.shape[0])}  # fmt: skip
    model_dir.write(path, model, _record(task, served, after, settings, command, time.time() - started))
    entry = versions.add(versions_dir, MODEL, path, after["val"], METRIC, before["val"][METRIC], log=log,
                         test=after["test"], served_test=before["test"], settings=settings)  # fmt: skip
    return {**entry, "served_metrics": before}


def _measure(model, parts) -> dict:
    """val (known: train) and test (known: train + val) ranking metrics of the original users."""
    val = recommendation.evaluate(model, parts.train, parts.val)
    test = recommendation.evaluate(model, parts.train + parts.val, parts.test)
    keep = ("ndcg@10", "recall@10", "hr@10", "n_users")
    return {"val": {k: float(val[k]) for k in keep}, "test": {k: float(test[k]) for k in keep}}


def _record(task, served, metrics: dict, settings: dict, command: str, wall_time_s: float) -> dict:
    """model.json of a flywheel version: two_tower with its own weights and how they were made."""
    spec = task.spec
    return {
        "name": MODEL,
        "base": MODEL,
        "parent": str(served) if served else MODEL,
        "task": spec.kind,
        "task_class": model_dir.task_reference(type(task)),
        "dataset": spec.dataset,
        "description": f"{spec.description} Retrained on the served feedback (the flywheel).",
        "config": spec.config,
        "input": spec.input,
        "output": spec.output,
        "labels": list(spec.labels),
        "options": spec.options,
        "license": spec.license,
        "card": {
            "validation": task.record("val", int(metrics["val"]["n_users"]), metrics["val"]),
            "test": metrics["test"],
            "settings": settings,
            "backend": backend.current(),
            "trained_on": time.strftime("%Y-%m-%d"),
            "command": command,
            "wall_time_s": round(wall_time_s, 1),
        },
    }
