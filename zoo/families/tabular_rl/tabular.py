"""Tabular Q-learning and SARSA (the seeds' formulas) on gymnasium's discrete environments.

    Q-learning: Q(s,a) += alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))     off-policy
    SARSA:      Q(s,a) += alpha * (r + gamma * Q(s',a')        - Q(s,a))     on-policy, a' ~ policy

Both act epsilon-greedily. On CliffWalking this shows the classic difference (Sutton & Barto,
Example 6.6): Q-learning learns the shortest path along the cliff edge and falls off during
exploration, SARSA learns a safer path one row up and earns more while it explores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("q_learning", "sarsa")


@dataclass(frozen=True)
class TabularRun:
    method: str
    env_id: str
    q: np.ndarray  # (states, actions)
    returns: np.ndarray  # the return of every training episode (exploring)


def _make(env_id: str, **kwargs):
    import gymnasium as gym

    return gym.make(env_id, **kwargs)


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """A random action with probability epsilon, else a greedy one (ties broken at random)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    return int(rng.choice(np.flatnonzero(q_row == q_row.max())))


def train(
    method: str,
    env_id: str,
    episodes: int,
    alpha: float = 0.1,
    gamma: float = 0.99,
    epsilon: float | tuple[float, float] = 0.1,
    seed: int = 0,
    **env_kwargs,
) -> TabularRun:
    """Learn Q by `method`; epsilon is fixed, or (start, end) decayed linearly over the episodes."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    env = _make(env_id, **env_kwargs)
    rng = np.random.default_rng(seed)
    q = np.zeros((env.observation_space.n, env.action_space.n))
    start, end = epsilon if isinstance(epsilon, tuple) else (epsilon, epsilon)
    returns = np.zeros(episodes)
    for episode in range(episodes):
        eps = start + (end - start) * episode / max(1, episodes - 1)
        state, _ = env.reset(seed=seed + episode)
        action = epsilon_greedy(q[state], eps, rng)
        done = False
        while not done:
            next_state, reward, terminated, truncated, _ = env.step(action)
            next_action = epsilon_greedy(q[next_state], eps, rng)
            if terminated:
                bootstrap = 0.0
            elif method == "q_learning":
                bootstrap = q[next_state].max()
            else:
                bootstrap = q[next_state, next_action]
            q[state, action] += alpha * (reward + gamma * bootstrap - q[state, action])
            state, action = next_state, next_action
            returns[episode] += reward
            done = terminated or truncated
    env.close()
    return TabularRun(method, env_id, q, returns)


def evaluate(run: TabularRun, episodes: int = 1000, seed: int = 100_000, **env_kwargs) -> dict:
    """Greedy policy from Q: mean return and success rate (episodes that end in the goal state).

    In both FrozenLake and CliffWalking the goal is the last (bottom-right) state.
    """
    env = _make(run.env_id, **env_kwargs)
    rng = np.random.default_rng(seed)
    goal = env.observation_space.n - 1
    returns, successes = [], 0
    for episode in range(episodes):
        state, _ = env.reset(seed=seed + episode)
        total, done, terminated = 0.0, False, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(epsilon_greedy(run.q[state], 0.0, rng))
            total += reward
            done = terminated or truncated
        returns.append(total)
        successes += bool(terminated and state == goal)
    env.close()
    return {"mean_return": float(np.mean(returns)), "success_rate": successes / episodes}


def greedy_path(run: TabularRun, max_steps: int = 100, **env_kwargs) -> list[int]:
    """States visited by the greedy policy from the start (deterministic environments)."""
    env = _make(run.env_id, **env_kwargs)
    state, _ = env.reset(seed=0)
    path = [int(state)]
    for _ in range(max_steps):
        state, _, terminated, truncated, _ = env.step(int(np.argmax(run.q[state])))
        path.append(int(state))
        if terminated or truncated:
            break
    env.close()
    return path
