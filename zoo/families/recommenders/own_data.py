"""A recommender trained on a user's own interactions (`zoo finetune two_tower --data ratings.csv`),
measured exactly as the anime application measures the zoo's: a seeded per-user split (20% of each
user's items for test, 10% of the rest for validation), the best validation epoch kept, and test NDCG@10
beside the simple baselines, every model trained on train only and ranking with train + val known.

A recommender's weights are tied to its catalogue (one embedding per item, or per user), so nothing of
the anime weights carries over to another catalogue: the recipe (architecture, loss, optimizer) does.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from zoo.core import backend, finetuning, user_data
from zoo.core.training import Run
from zoo.datasets import anime
from zoo.families.recommenders import baselines, recommendation

DENSE_ITEM_LIMIT = 15_000  # EASE and item-kNN hold an items x items matrix: above this they are left out
SEED = 0


@dataclasses.dataclass
class OwnItems:
    """A user's catalogue: titles, and genres as the two-tower item features (a multi-hot over them)."""

    names: list[str]
    genres: list[tuple[str, ...]]

    @property
    def vocabulary(self) -> list[str]:
        return sorted({g for item in self.genres for g in item})

    def features(self) -> np.ndarray:
        vocabulary = {g: i for i, g in enumerate(self.vocabulary)}
        vectors = np.zeros((len(self.names), max(1, len(vocabulary))), "float32")
        for row, item in enumerate(self.genres):
            vectors[row, [vocabulary[g] for g in item]] = 1.0
        return vectors


def split(data: user_data.Interactions, seed: int, path) -> anime.Split:
    parts = anime.split(data.matrix, seed=seed)
    if parts.test.nnz == 0 or parts.val.nnz == 0:
        raise user_data.DataError(
            f"{path} has too few items per user for held-out parts: a user needs at least 5 items to give "
            "one to test and 12 to give one to validation as well."
        )
    return parts


def compare(model, parts: anime.Split, log=print) -> dict:
    """Test metrics of `model` and of the baselines that fit this catalogue (their default settings)."""
    known = parts.train + parts.val
    makers = {"popularity": baselines.Popularity, "ials": baselines.IALS}
    if parts.train.shape[1] <= DENSE_ITEM_LIMIT:
        makers = {**makers, "item_knn": baselines.ItemKNN, "ease": baselines.EASE}
    table = {"model": recommendation.evaluate(model, known, parts.test)}
    for name, make in makers.items():
        table[name] = recommendation.evaluate(make(parts.train), known, parts.test)
        log(f"{name}: test NDCG@10 {table[name]['ndcg@10']:.4f}")
    return table


def finetune(spec, data, options) -> dict:
    """Train `spec`'s architecture and recipe on a CSV of (user, item) rows; writes a model directory
    holding the catalogue, and returns the `zoo finetune --json` record with the comparison table."""
    options.use_only("items", "batch_size", task=spec.name)
    finetuning.check_out(options)
    seed = options.seed or SEED
    interactions = user_data.read_interactions(data)
    titles, genres = (
        user_data.read_item_table(options.items, interactions.items)
        if options.items
        else (list(interactions.items), [()] * len(interactions.items))
    )
    catalogue = OwnItems(titles, genres)
    parts = split(interactions, seed, data)
    sizes = {
        "items": len(interactions.items),
        "users": len(interactions.users),
        "features": catalogue.features().shape[1],
    }
    tuned = dataclasses.replace(
        spec,
        name=options.model_name,
        config={**spec.config, **{k: v for k, v in sizes.items() if k in spec.config}},
        dataset=str(data),
        description=f"{spec.name}'s recipe on {data}: {sizes['users']:,} users, {sizes['items']:,} items.",
        input={
            "history": f"a user's known items: a multi-hot over the {sizes['items']:,} items of the catalogue"
        },
        options={
            "catalogue": {"users": interactions.users, "items": interactions.items, "titles": titles},
            "seed": seed,
        },
    )
    recipe = spec.recipe
    epochs, batch_size = options.epochs or recipe.epochs, options.batch_size or recipe.batch_size
    rate = options.learning_rate or recipe.learning_rate
    monitor = ("val_ndcg@10", "max")
    with Run(tuned.name, options) as run:
        if options.force:
            finetuning.clear_finished(run.dir)
        finetuning.settle(run, fingerprint=interactions.with_matrix(parts.train).fingerprint())
        backend.seed_everything(seed)
        model = tuned.build()
        model.prepare(parts.train, catalogue)
        history = finetuning.fit_phases(
            run,
            model,
            spec.family().BATCHES(parts.train, batch_size, seed),
            None,
            epochs=epochs,
            freeze_epochs=0,
            learning_rate=rate,
            loss=model.training_loss(),
            metrics=[],
            epoch_metrics=[recommendation.ValidationRanking(parts.train, parts.val)],
            monitor=monitor,
        )
        model = finetuning.best_model(run, tuned.build)
        validation = recommendation.evaluate(model, parts.train, parts.val)
        table = compare(model, parts)
        settings = {"epochs": epochs, "batch_size": batch_size, "learning_rate": rate, "seed": seed,
                    "from_scratch": True, "split": "per user: 20% test, 10% of the rest val"}  # fmt: skip
        record = finetuning.finish(
            run,
            model,
            tuned,
            spec,
            interactions.with_matrix(parts.train),
            interactions.with_matrix(parts.val),
            validation,
            None,
            {**settings, "test": table},
            history,
            monitor=monitor,
        )
    return {**finetuning.summary(record, run.dir), "test": table}


def evaluate(spec, model, data) -> tuple[int, dict]:
    """(users measured, test metrics) of a model directory's recommender on a CSV with its ids, split as
    when it was trained (the same file gives the same test part); ids it does not know are left out."""
    catalogue = spec.options["catalogue"]
    interactions = user_data.read_interactions(data, catalogue["users"], catalogue["items"])
    parts = split(interactions, spec.options.get("seed", SEED), data)
    metrics = recommendation.evaluate(model, parts.train + parts.val, parts.test)
    return metrics.pop("n_users"), metrics
