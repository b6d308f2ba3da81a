"""Tabular Q-learning and SARSA reproduce the classic CliffWalking difference."""

import numpy as np
import pytest

from zoo.families.tabular_rl import tabular

CLIFF = dict(env_id="CliffWalking-v1", episodes=500, alpha=0.5, gamma=1.0, epsilon=0.1, seed=0)


@pytest.fixture(scope="module")
def runs():
    return {method: tabular.train(method, **CLIFF) for method in tabular.METHODS}


def test_q_learning_finds_the_optimal_path_along_the_cliff(runs):
    assert tabular.evaluate(runs["q_learning"], episodes=5) == {"mean_return": -13.0, "success_rate": 1.0}
    rows = np.asarray(tabular.greedy_path(runs["q_learning"])) // 12
    assert (rows[1:-1] == 2).all()  # every step but start and goal on the row next to the cliff


def test_sarsa_takes_the_safer_path_and_earns_more_while_exploring(runs):
    result = tabular.evaluate(runs["sarsa"], episodes=5)
    assert result["success_rate"] == 1.0 and -25 <= result["mean_return"] < -13
    rows = np.asarray(tabular.greedy_path(runs["sarsa"])) // 12
    assert rows.min() < 2  # it leaves the cliff edge
    assert runs["sarsa"].returns[-100:].mean() > runs["q_learning"].returns[-100:].mean()


def test_epsilon_greedy_breaks_ties_at_random():
    rng = np.random.default_rng(0)
    picks = {tabular.epsilon_greedy(np.array([1.0, 1.0, 0.0]), 0.0, rng) for _ in range(50)}
    assert picks == {0, 1}
    with pytest.raises(ValueError, match="unknown method 'td_lambda'"):
        tabular.train("td_lambda", "CliffWalking-v1", 1)
