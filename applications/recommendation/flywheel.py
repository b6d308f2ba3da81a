"""The data flywheel, simulated: deploy a model, let the users' not-yet-seen interactions arrive as
feedback in rounds, retrain (warm start) on everything collected so far, measure, repeat.

At round 0 the system knows a random `start_share` of the training interactions and trains
two_tower from scratch on them; each later round another equal slice of the remaining training
interactions arrives. "retrained" continues training the deployed weights on all data so far for
`epochs_per_round` epochs; "static" keeps the round-0 weights (it still reads each user's grown
history as input); "popularity" is recounted each round. All are measured on the fixed test split
(NDCG@10, full ranking; a user's collected items are never recommended).
The data has no timestamps, so arrival order is random: it simulates growth, not drift.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy import sparse

import zoo
from applications.recommendation.tune import tuned_settings
from zoo.core import backend
from zoo.datasets import anime
from zoo.families.recommenders import recommendation
from zoo.families.recommenders.baselines import EASE, Popularity


def arrival_rounds(
    train: sparse.csr_matrix, rounds: int, start_share: float, seed: int = 0
) -> list[sparse.csr_matrix]:
    """Cumulative training matrices: round 0 holds start_share of the pairs, the last round all."""
    if rounds < 1 or not 0.0 < start_share < 1.0:
        raise ValueError(f"rounds must be >= 1 and start_share in (0, 1); got {rounds} and {start_share}.")
    users, items = train.nonzero()
    order = np.random.default_rng(seed).permutation(len(users))
    cuts = np.linspace(start_share * len(users), len(users), rounds + 1).astype(int)
    return [
        sparse.csr_matrix((np.ones(c, "float32"), (users[order[:c]], items[order[:c]])), shape=train.shape)
        for c in cuts
    ]


def simulate(
    rounds: int = 5,
    start_share: float = 0.4,
    first_epochs: int = 4,
    epochs_per_round: int = 2,
    data_dir=None,
    sample: bool = False,
    seed: int = 0,
    log=print,
) -> dict:
    """NDCG@10 per round for the retrained, the static and the popularity model."""
    parts = anime.load_sample() if sample else anime.load_split(data_dir)
    collected = arrival_rounds(parts.train, rounds, start_share, seed)
    backend.seed_everything(seed)
    items = anime.load_items(data_dir)
    retrained = recommendation.train_fresh("two_tower", collected[0], items, epochs=first_epochs, seed=seed)
    static = zoo.load("two_tower", weights=None)
    static.set_weights(retrained.get_weights())
    table = []
    for round_index, known in enumerate(collected):
        started = time.time()
        if round_index > 0:  # feedback arrived: warm-start retraining on all data so far
            # item frequencies of the data collected so far, then more epochs on all of it
            recommendation.warm_start(
                "two_tower", retrained, known, items, epochs_per_round, seed + round_index
            )
        row = {"round": round_index, "interactions": int(known.nnz)}
        refit = EASE(
            known, **tuned_settings().get("ease", {})
        )  # the strongest simple baseline, refit each round
        rivals = (
            ("retrained", retrained),
            ("static", static),
            ("ease", refit),
            ("popularity", Popularity(known)),
        )
        for name, model in rivals:
            row[name] = recommendation.evaluate(model, known, parts.test)["ndcg@10"]
        table.append(row)
        log(
            f"round {round_index}: {known.nnz} interactions, NDCG@10 retrained {row['retrained']:.4f}, "
            f"static {row['static']:.4f}, EASE refit {row['ease']:.4f}, popularity {row['popularity']:.4f} "
            f"({time.time() - started:.0f} s)"
        )
    return {
        "rounds": table,
        "settings": {
            "rounds": rounds,
            "start_share": start_share,
            "first_epochs": first_epochs,
            "epochs_per_round": epochs_per_round,
            "seed": seed,
        },  # fmt: skip
        "split": "test-sample" if sample else "test",
        "backend": backend.current(),
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = result["rounds"]
    x = [row["round"] for row in table]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for name, style in (("retrained", "o-"), ("static", "s--"), ("ease", "d-."), ("popularity", "^:")):
        if name in table[0]:
            ax.plot(x, [row[name] for row in table], style, label="EASE refit" if name == "ease" else name)
    ax.set_xlabel("round (feedback collected, then retrain)")
    ax.set_ylabel("test NDCG@10")
    ax.set_xticks(x)
    ax.set_title(f"Flywheel: two_tower retrained each round vs never ({result['backend']})")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(result: dict) -> str:
    lines = [
        "| round | interactions | retrained | static | EASE refit | popularity |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["rounds"]:
        lines.append(
            f"| {row['round']} | {row['interactions']} | {row['retrained']:.4f} | {row['static']:.4f} | "
            f"{row['ease']:.4f} | {row['popularity']:.4f} |"
        )
    return "\n".join(lines) + "\n"
