"""Watch the pretrained Double-DQN agent balance CartPole-v1, on any backend, offline.

    python examples/cartpole_dqn.py                    # 10 greedy episodes + a GIF of the first
    KERAS_BACKEND=torch python examples/cartpole_dqn.py --episodes 100

The agent is an ordinary keras.Model mapping the 4 observations to 2 Q-values; acting greedily is
an argmax. Retrain it with `zoo train dqn_cartpole --steps 60000` (about 25 minutes on 2 CPU cores).
"""

import argparse
from pathlib import Path

import gymnasium as gym
import keras
import numpy as np

import zoo
from zoo.families.dqn import dqn_cartpole

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--episodes", type=int, default=10)
parser.add_argument("--out", default="runs/cartpole")
args = parser.parse_args()

agent = zoo.load("dqn_cartpole")
measured = zoo.card("dqn_cartpole")["metrics"].get(keras.backend.backend(), {}).get("metrics")
print(f"backend {keras.backend.backend()}; the card's 100-episode measurement here: {measured}")

# One episode by hand, to show there is nothing hidden: observe, argmax the Q-values, step.
env = gym.make("CartPole-v1")
observation, _ = env.reset(seed=42)
total, done = 0.0, False
while not done:
    q = keras.ops.convert_to_numpy(agent(observation[None].astype("float32")))
    observation, reward, terminated, truncated, _ = env.step(int(np.argmax(q)))
    total, done = total + reward, terminated or truncated
print(f"one hand-written episode: return {total:.0f} (500 is the maximum)")

gif = Path(args.out) / "cartpole.gif"
result = dqn_cartpole.play(agent, episodes=args.episodes, seed=0, gif=gif)
print(f"{args.episodes} greedy episodes: return {result['mean_return']:.1f} +- {result['std_return']:.1f}")
print(f"wrote {gif.resolve()}")
