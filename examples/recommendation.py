"""Anime recommendations: pretrained two_tower vs popularity on real MyAnimeList users. Offline.

    python examples/recommendation.py                 # the 300 bundled users' held-out test items
    KERAS_BACKEND=torch python examples/recommendation.py --out runs/recommendation_example

The full comparison (all 5,000 users, five models) and the flywheel:
    python -m applications.recommendation evaluate --out runs/recommendation
    python -m applications.recommendation flywheel --rounds 5 --out runs/recommendation/flywheel
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402
from applications.recommendation import recommend
from zoo.datasets import anime  # noqa: E402
from zoo.families.recommenders import (
    baselines,  # noqa: E402
    recommendation,  # noqa: E402
)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/recommendation_example")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

# 1. Real users shipped with the package: each one's items split into train / val / test (seeded).
parts = anime.load_sample()
items = anime.load_items()
known = parts.train + parts.val  # what the system knows; test items are what the users went on to watch

# 2. The pretrained two-tower model reads a user's known items; rank every unseen item for everyone.
model = zoo.load("two_tower")
measured = {
    "popularity": recommendation.evaluate(baselines.Popularity(parts.train), known, parts.test),
    "two_tower": recommendation.evaluate(model, known, parts.test),
}
for name, m in measured.items():
    print(f"{name:>10}: NDCG@10 {m['ndcg@10']:.3f}  recall@10 {m['recall@10']:.3f}  ({m['n_users']} users)")

# 3. A new user, from three liked titles: recommendations with the reason for each.
likes = ["Cowboy Bebop", "Steins;Gate", "Fullmetal Alchemist: Brotherhood"]
for r in recommend.recommend(model, recommend.history_of_titles(likes, items), None, items, k=5):
    print(f"  {r.title}  (because you like {r.because[0]})")

# 4. A picture: what each model put in front of the users, by how popular the items are.
users = np.flatnonzero(np.diff(parts.test.indptr) > 0)
counts = np.asarray(parts.train.sum(axis=0)).ravel()
fig, ax = plt.subplots(figsize=(6.4, 3.6))
for name, scorer in (("popularity", baselines.Popularity(parts.train)), ("two_tower", model)):
    top = recommendation.top_items(scorer, known, users)
    ax.hist(np.log10(counts[top].ravel() + 1), bins=30, alpha=0.6, label=name)
ax.set_xlabel("log10(1 + training interactions) of recommended items")
ax.set_ylabel("recommendations")
ax.legend()
fig.tight_layout()
fig.savefig(out / "recommended_popularity.png", dpi=110)
print(f"wrote {out / 'recommended_popularity.png'}")
