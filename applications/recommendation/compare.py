"""Every recommender side by side on the test split: the baselines fit on train with the settings
chosen on validation (tune.py), the zoo models with their shipped weights; the best zoo model is
compared with each baseline by a paired Wilcoxon signed-rank test over users' NDCG@10.

Every model is trained on the training split only; at test time each user's train + validation
items are their known history (the input of models that read histories, and never recommended).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy import stats

import zoo
from applications.recommendation.tune import tuned_settings
from zoo.core import backend
from zoo.datasets import anime
from zoo.families.recommenders import recommendation
from zoo.families.recommenders.baselines import ALS, EASE, IALS, ItemKNN, Popularity

MODELS = ("popularity", "item_knn", "als", "ease", "ials", "two_tower", "neumf", "mult_vae")
BASELINES = ("popularity", "item_knn", "als", "ease", "ials")
NEURAL = ("two_tower", "neumf", "mult_vae")
KEYS = ("ndcg@10", "recall@10", "hr@10", "coverage", "popularity")


def build_models(train, names=MODELS, log=print) -> dict:
    """name -> fitted or loaded model."""
    tuned = tuned_settings()
    makers = {
        "popularity": lambda: Popularity(train),
        "item_knn": lambda: ItemKNN(train, **tuned.get("item_knn", {})),
        "als": lambda: ALS(train, **tuned.get("als", {})),
        "ease": lambda: EASE(train, **tuned.get("ease", {})),
        "ials": lambda: IALS(train, **tuned.get("ials", {})),
        "two_tower": lambda: zoo.load("two_tower"),
        "neumf": lambda: zoo.load("neumf"),
        "mult_vae": lambda: zoo.load("mult_vae"),
    }
    models = {}
    for name in names:
        started = time.time()
        models[name] = makers[name]()
        log(f"{name}: ready in {time.time() - started:.1f} s")
    return models


def compare(data_dir=None, sample: bool = False, names=MODELS, log=print) -> dict:
    """The machine-readable comparison: one map per metric from model name to its test value."""
    parts = anime.load_sample() if sample else anime.load_split(data_dir)
    known = parts.train + parts.val
    measured = {}
    for name, model in build_models(parts.train, names, log).items():
        measured[name] = recommendation.evaluate(model, known, parts.test, per_user=True)
        log(f"{name}: NDCG@10 {measured[name]['ndcg@10']:.4f}")
    result = {key: {name: m[key] for name, m in measured.items()} for key in KEYS}
    return {
        **result,
        **paired_tests(measured),
        "n_users": next(iter(measured.values()))["n_users"],
        "split": "test-sample" if sample else "test",
        "backend": backend.current(),
        "settings": tuned_settings(),
    }


def paired_tests(measured: dict) -> dict:
    """The best zoo model (by test NDCG@10) against each baseline: two-sided Wilcoxon signed-rank
    p-values over the same users' NDCG@10 ({} when either side is missing)."""
    neural = [n for n in NEURAL if n in measured]
    baselines = [n for n in BASELINES if n in measured]
    if not neural or not baselines:
        return {}
    best = max(neural, key=lambda n: measured[n]["ndcg@10"])
    mine = measured[best]["per_user_ndcg"]
    pvalues = {}
    for name in baselines:
        theirs = measured[name]["per_user_ndcg"]
        pvalues[name] = float(stats.wilcoxon(mine, theirs).pvalue) if np.any(mine != theirs) else 1.0
    return {"best_neural": best, "pvalue_vs": pvalues}


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["ndcg@10"])
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for ax, key in zip(axes, ("ndcg@10", "recall@10", "coverage"), strict=True):
        values = [result[key][n] for n in names]
        colors = ["#999999" if n in BASELINES else "#3b6ea8" for n in names]
        ax.bar(names, values, color=colors)
        for x, v in enumerate(values):
            ax.text(x, v, f"{v:.3f}", ha="center", va="bottom", fontsize=8)
        ax.set_title(key)
        ax.set_ylim(0, max(values) * 1.15)  # room for the labels
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle(f"anime {result['split']}, {result['n_users']} users, full ranking ({result['backend']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
