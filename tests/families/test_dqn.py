"""dqn_cartpole: its parts against hand-made references, a short run, and the shipped agent."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.core import registry
from zoo.core.training import TrainOptions
from zoo.families.dqn import dqn_cartpole as dqn


def test_replay_buffer_wraps_around_and_overwrites_the_oldest():
    buffer = dqn.ReplayBuffer(capacity=5, observation_size=4)
    for i in range(7):
        buffer.add(np.full(4, i), i % 2, float(i), np.full(4, i + 1), float(i == 6))
    assert buffer.size == 5 and buffer.position == 2
    assert buffer.rewards.tolist() == [5.0, 6.0, 2.0, 3.0, 4.0]  # 0 and 1 were overwritten
    assert buffer.terminated.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]


def test_replay_buffer_samples_only_stored_transitions_reproducibly():
    buffer = dqn.ReplayBuffer(capacity=100, observation_size=4)
    for i in range(10):
        buffer.add(np.full(4, i), 0, float(i), np.full(4, i + 1), 0.0)
    first = buffer.sample(256, np.random.default_rng(0))
    again = buffer.sample(256, np.random.default_rng(0))
    assert set(first["rewards"].tolist()) == set(range(10))  # all 10 stored, none of the 90 empty slots
    assert first["observations"].shape == (256, 4)
    np.testing.assert_array_equal(first["next_observations"][:, 0], first["rewards"] + 1)
    np.testing.assert_array_equal(first["rewards"], again["rewards"])


def test_double_dqn_targets_on_a_hand_made_batch():
    q_next_online = np.array([[1.0, 2.0], [3.0, 1.0], [0.0, 5.0]])
    q_next_target = np.array([[10.0, 20.0], [30.0, 40.0], [5.0, 6.0]])
    rewards = np.array([1.0, 1.0, 1.0])
    terminated = np.array([0.0, 0.0, 1.0])
    # The online net picks the action (1, 0, 1); the target net values it; no bootstrap when terminal.
    expected = np.array([1 + 0.9 * 20.0, 1 + 0.9 * 30.0, 1.0])
    targets = dqn.double_dqn_targets(q_next_online, q_next_target, rewards, terminated, gamma=0.9)
    np.testing.assert_allclose(targets, expected)
    # Plain DQN would have used max of the target net (20, 40): Double DQN differs on row 2.
    assert targets[1] != 1 + 0.9 * 40.0


def test_epsilon_schedule():
    assert dqn.linear_schedule(1.0, 0.04, 100, 0) == 1.0
    assert dqn.linear_schedule(1.0, 0.04, 100, 50) == pytest.approx(0.52)
    assert dqn.linear_schedule(1.0, 0.04, 100, 100) == pytest.approx(0.04)
    assert dqn.linear_schedule(1.0, 0.04, 100, 10_000) == pytest.approx(0.04)


def test_short_training_run_changes_the_weights_and_resumes(tmp_path):
    args = dqn.Args(
        total_steps=300,
        learning_starts=100,
        train_every=50,  # trains before every evaluation, so the kept weights are trained ones
        gradient_steps=8,
        eval_every=150,
        eval_episodes=2,
        final_eval_episodes=2,
    )
    keras.utils.set_random_seed(args.seed)  # the same initial weights the run starts from
    initial = dqn.build(dqn.CONFIG)
    spec = registry.get("dqn_cartpole")
    result = dqn.train(spec, TrainOptions(out_dir=tmp_path / "run", verbose=0), args=args)
    trained = zoo.load("dqn_cartpole", weights=result["weights"])
    changed = [
        not np.allclose(a, b) for a, b in zip(initial.get_weights(), trained.get_weights(), strict=True)
    ]
    assert all(changed)
    assert [step for step, _ in result["history"]["evals"]] == [150, 300]
    with pytest.raises(FileExistsError, match="--resume"):
        dqn.train(spec, TrainOptions(out_dir=tmp_path / "run", verbose=0), args=args)
    longer = dqn.train(
        spec, TrainOptions(steps=450, out_dir=tmp_path / "run", resume=True, verbose=0), args=args
    )
    assert [step for step, _ in longer["history"]["evals"]] == [150, 300, 450]


def test_shipped_agent_balances_the_pole():
    result = dqn.play(zoo.load("dqn_cartpole"), episodes=20, seed=0)
    assert result["mean_return"] >= 475, result["returns"]


def test_play_cli_json_and_gif(capsys, tmp_path, backend_name):
    gif = tmp_path / "episode.gif"
    code = main(["play", "dqn_cartpole", "--episodes", "2", "--seed", "3", "--json", "--gif", str(gif)])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {"mean_return", "std_return", "episodes", "backend"}
    assert result["episodes"] == 2 and result["backend"] == backend_name
    assert gif.read_bytes()[:6] == b"GIF89a"


def test_play_refuses_a_classifier(capsys):
    code = main(["play", "mnist_mlp"])
    _, err = capsys.readouterr()
    assert code == 2 and "mnist_mlp (classification) does not play" in err and "dqn_cartpole" in err
