"""The recommender task: a user's known items in, a score per item out, measured by full ranking
of every unseen item against the held-out part of each user's list."""

from __future__ import annotations

from zoo.tasks.base import Task


class Recommender(Task):
    """Users (their known items, or ids) in, item scores out; NDCG@10, recall@10, HR@10."""

    kind = "recommendation"
    page = "recommendations"
    headline = "ndcg@10"
    abilities = frozenset({"evaluate", "train", "finetune"})
    hint = "it ranks items for users: use `python -m applications.recommendation recommend`"

    def evaluate(
        self, model, *, split=None, limit=None, data_dir=None, sample=False, tta=False, seed=0, data=None
    ):
        """Full-ranking metrics on the anime split (default test; known history = train + val).

        Example:
            >>> task = zoo.core.registry.get("two_tower").tasks()
            >>> task.evaluate(task.spec.load(), sample=True)["metrics"]["ndcg@10"]
        """
        from zoo.families.recommenders import own_data, recommendation

        if "catalogue" in self.spec.options:  # a model directory trained on a user's CSV
            if data is None:
                raise ValueError(
                    f"{self.name} was trained on {self.spec.dataset}; pass --data with that CSV."
                )
            users, metrics = own_data.evaluate(self.spec, model, data)
            return {**self.record("test", users, metrics), "dataset": str(data)}
        self.refuse_data(data)
        split = split or "test"
        if split not in ("val", "test") or limit is not None or tta:
            raise ValueError(
                f"{self.name} is measured by full ranking on --split val or test (no --limit or --tta)."
            )
        label, users, metrics = recommendation.score_split(model, split, data_dir=data_dir, sample=sample)
        return self.record(label, users, metrics)

    def finetune(self, data, options) -> dict:
        """Train this recommender's architecture and recipe on a CSV of (user, item) rows, compared with
        the baselines on the same split; see own_data.py."""
        from zoo.families.recommenders import own_data

        return own_data.finetune(self.spec, data, options)

    def train(self, options) -> dict:
        from zoo.families.recommenders import recommendation

        return recommendation.train(self.spec, options)

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"NDCG {metrics['ndcg@10']:.3f}"  # @10
