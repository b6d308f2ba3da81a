"""dqn_cartpole: a Double-DQN agent for gymnasium's CartPole-v1 (the whole algorithm in
dqn_cartpole.py, CleanRL style) and its task (task.py). Registration only (no keras)."""

from zoo.core.registry import ModelSpec, register
from zoo.families.dqn.task import Agent

register(
    ModelSpec(
        name="dqn_cartpole",
        task=Agent,
        module="zoo.families.dqn.dqn_cartpole",
        dataset="CartPole-v1",
        description="Double DQN agent (MLP 256-256) for gymnasium CartPole-v1.",
        config={"observations": 4, "actions": 2, "hidden": [256, 256]},
        input={
            "shape": [4],
            "dtype": "float32",
            "observation": "cart position, cart velocity, pole angle, pole angular velocity",
        },
        output="Q-values of the 2 actions (push left, push right); act greedily with argmax",
        references=(
            "van Hasselt et al. 2016, Deep Reinforcement Learning with Double Q-learning",
            "RL Baselines3 Zoo, hyperparams/dqn.yml (CartPole-v1)",
            "CleanRL dqn.py (the single-file layout)",
        ),
    )
)
