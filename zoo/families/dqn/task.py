"""The agent task: measured by the mean return of seeded greedy episodes, trained by its own
loop over environment steps, and run for people to watch (`zoo play`)."""

from __future__ import annotations

from zoo.tasks.base import Task


class Agent(Task):
    """Observations in, Q-values of the actions out; acts greedily."""

    kind = "reinforcement-learning"
    page = "episodes"
    headline = "mean_return"
    abilities = frozenset({"evaluate", "train", "play", "export"})
    hint = "it is an agent: use `zoo play {name}`"

    def evaluate(
        self, model, *, split=None, limit=None, data_dir=None, sample=False, tta=False, seed=0, data=None
    ):
        """Mean and std return of `limit` (default 100) greedy episodes with seeds seed, seed+1, ...

        Example:
            >>> task = zoo.core.registry.get("dqn_cartpole").tasks()
            >>> task.evaluate(task.spec.load(), limit=10)["metrics"]["mean_return"]
        """
        self.refuse_data(data)
        from zoo.families.dqn import dqn_cartpole

        if split not in (None, "test", "episodes") or tta:
            raise ValueError(
                f"{self.name} is measured on greedy episodes: use --n for how many, no --split or --tta."
            )
        episodes = limit or 100
        return self.record(
            "greedy episodes", episodes, dqn_cartpole.evaluate(model, episodes=episodes, seed=seed)
        )

    def train(self, options) -> dict:
        from zoo.families.dqn import dqn_cartpole

        return dqn_cartpole.train(self.spec, options)

    def play(self, model, *, episodes: int = 100, seed: int = 0, gif=None) -> dict:
        """Greedy episodes; with `gif`, the first one recorded as an animated GIF."""
        from zoo.families.dqn import dqn_cartpole

        return dqn_cartpole.play(model, episodes=episodes, seed=seed, gif=gif)

    def headline_text(self, metrics: dict, tta=None) -> str:
        return f"return {metrics['mean_return']:.1f}"
