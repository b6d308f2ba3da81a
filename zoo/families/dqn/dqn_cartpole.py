"""dqn_cartpole: Double DQN on gymnasium's CartPole-v1, read top to bottom as in CleanRL.

The Q-network is a Keras MLP; the update is backend-agnostic: Double-DQN targets are computed
in numpy from two forward passes, and `train_on_batch` fits the online network to them (the
target only differs from the current prediction at the action taken, so the loss is the Huber
TD error of that action). Hyper-parameters follow the RL Baselines3 Zoo's tuned CartPole DQN.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import keras
import numpy as np

from zoo.core import backend, hub, outputs, registry
from zoo.core.atomic import atomic_path, atomic_write_json
from zoo.core.training import Run

ENV_ID = "CartPole-v1"
CONFIG = registry.get("dqn_cartpole").config  # the registration's config: one place


@dataclasses.dataclass(frozen=True)
class Args:
    """Every hyper-parameter of the recipe (RL Baselines3 Zoo's CartPole-v1 DQN, Double-DQN targets)."""

    total_steps: int = 60_000
    learning_rate: float = 2.3e-3
    buffer_size: int = 100_000
    learning_starts: int = 1_000
    batch_size: int = 64
    gamma: float = 0.99
    train_every: int = 256  # environment steps between training phases
    gradient_steps: int = 128  # gradient steps per training phase
    target_update_every: int = 10  # environment steps between target-network copies
    start_epsilon: float = 1.0
    end_epsilon: float = 0.04
    exploration_fraction: float = 0.16  # share of total_steps over which epsilon decays
    max_grad_norm: float = 10.0
    eval_every: int = 5_000  # steps between greedy evaluations (best weights are kept)
    eval_episodes: int = 20
    final_eval_episodes: int = 100
    seed: int = 0


def build(config: dict | None = None) -> keras.Model:
    """Q-network: observation (4 floats) -> one Q-value per action."""
    config = {**CONFIG, **(config or {})}
    observation = keras.Input(shape=(config["observations"],), name="observation")
    x = observation
    for i, width in enumerate(config["hidden"], start=1):
        x = keras.layers.Dense(width, activation="relu", name=f"hidden{i}")(x)
    q_values = keras.layers.Dense(config["actions"], name="q_values")(x)
    return keras.Model(observation, q_values, name="dqn_cartpole")


class ReplayBuffer:
    """A numpy ring buffer of transitions; the oldest are overwritten once it is full."""

    def __init__(self, capacity: int, observation_size: int):
        self.capacity = capacity
        self.observations = np.zeros((capacity, observation_size), dtype="float32")
        self.next_observations = np.zeros((capacity, observation_size), dtype="float32")
        self.actions = np.zeros(capacity, dtype="int64")
        self.rewards = np.zeros(capacity, dtype="float32")
        self.terminated = np.zeros(capacity, dtype="float32")
        self.position = 0  # next slot to write
        self.size = 0

    def add(self, observation, action, reward, next_observation, terminated) -> None:
        i = self.position
        self.observations[i], self.next_observations[i] = observation, next_observation
        self.actions[i], self.rewards[i], self.terminated[i] = action, reward, terminated
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict:
        rows = rng.integers(0, self.size, size=batch_size)
        return {
            "observations": self.observations[rows],
            "actions": self.actions[rows],
            "rewards": self.rewards[rows],
            "next_observations": self.next_observations[rows],
            "terminated": self.terminated[rows],
        }

    def state(self) -> dict:
        fields = ("observations", "next_observations", "actions", "rewards", "terminated")
        return {**{f: getattr(self, f) for f in fields}, "position": self.position, "size": self.size}

    def restore(self, state) -> None:
        for field in ("observations", "next_observations", "actions", "rewards", "terminated"):
            getattr(self, field)[...] = state[field]
        self.position, self.size = int(state["position"]), int(state["size"])


def linear_schedule(start: float, end: float, duration: int, step: int) -> float:
    """Epsilon: from start to end linearly over `duration` steps, then constant."""
    return end + (start - end) * max(0.0, 1.0 - step / duration) if duration > 0 else end


def double_dqn_targets(q_next_online, q_next_target, rewards, terminated, gamma: float) -> np.ndarray:
    """r + gamma * Q_target(s', argmax_a Q_online(s', a)), with no bootstrap past a terminal state."""
    best = np.argmax(q_next_online, axis=1)
    bootstrap = q_next_target[np.arange(len(best)), best]
    return rewards + gamma * (1.0 - terminated) * bootstrap


def q_values(model: keras.Model, observations: np.ndarray) -> np.ndarray:
    """Q-values as numpy; a direct call, much cheaper than predict() for one observation."""
    return keras.ops.convert_to_numpy(model(observations, training=False))


def _make_env(render: bool = False):
    import gymnasium as gym

    if render:  # off-screen frames: no display, no sound device, no SDL warnings about either
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

    return gym.make(ENV_ID, render_mode="rgb_array" if render else None)


def play(model: keras.Model, episodes: int = 100, seed: int = 0, gif: str | Path | None = None) -> dict:
    """Greedy episodes (seeds seed, seed+1, ...); returns mean/std return and the returns.

    With `gif`, the first episode is recorded as an animated GIF.
    """
    if not 1 <= episodes <= 100_000:
        raise ValueError(f"--episodes must be between 1 and 100000, got {episodes}.")
    if seed < 0:
        raise ValueError(f"--seed must be a whole number >= 0, got {seed}.")
    if gif is not None:
        outputs.check_file(gif, (".gif",), flag="--gif")
    returns = []
    for episode in range(episodes):
        record = gif is not None and episode == 0
        env = _make_env(render=record)
        observation, _ = env.reset(seed=seed + episode)
        frames, total, done = [], 0.0, False
        while not done:
            if record:
                frames.append(env.render())
            action = int(np.argmax(q_values(model, observation[None].astype("float32"))[0]))
            observation, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        env.close()
        returns.append(total)
        if record:
            _write_gif(frames, Path(gif))
    returns = np.asarray(returns)
    return {
        "mean_return": float(returns.mean()),
        "std_return": float(returns.std()),
        "returns": returns.tolist(),
    }


def _write_gif(frames: list, path: Path) -> None:
    from PIL import Image

    images = [Image.fromarray(f).resize((300, 200)) for f in frames[::2]]  # every other frame: 25 fps
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=40, loop=0)


def evaluate(model: keras.Model, episodes: int = 100, seed: int = 0) -> dict:
    result = play(model, episodes=episodes, seed=seed)
    return {"mean_return": result["mean_return"], "std_return": result["std_return"]}


def train(spec, options, args: Args | None = None) -> dict:
    """Run the Double-DQN recipe inside a Run; checkpoints at every evaluation and resumes from the
    last one. The best greedy-evaluation weights so far are what the run writes as its weights."""
    options.refuse(
        "epochs",
        "batch_size",
        "limit",
        "holdout",
        because=f"{spec.name} trains by environment steps (--steps)",
    )
    args = dataclasses.replace(
        args or RECIPE,
        **{k: v for k, v in {"total_steps": options.steps, "seed": options.seed}.items() if v is not None},
    )
    with Run(spec.name, options) as run:
        checkpoint = run.checkpoint_dir
        backend.seed_everything(args.seed)
        rng = np.random.default_rng(args.seed)
        env = _make_env()
        online, target = build(CONFIG), build(CONFIG)
        online.compile(
            optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=args.max_grad_norm),
            loss=keras.losses.Huber(),
        )
        online.optimizer.build(online.trainable_variables)
        target.set_weights(online.get_weights())
        buffer = ReplayBuffer(args.buffer_size, CONFIG["observations"])
        history = {"steps": [], "returns": [], "evals": []}
        start_step, best = 0, -np.inf

        if run.state is not None:
            start_step, best, history = run.state["step"], run.state["best"], run.state["history"]
            hub.load_weights(online, checkpoint / "online.weights.h5")
            hub.load_weights(target, checkpoint / "target.weights.h5")
            with np.load(checkpoint / "buffer.npz") as saved:
                buffer.restore(saved)
            rng = np.random.default_rng([args.seed, start_step])
            print(f"resuming dqn_cartpole after step {start_step}", file=sys.stderr)

        verbose = options.verbose
        progress = keras.utils.Progbar(
            args.total_steps,
            verbose=1 if verbose == "auto" else verbose,
            stateful_metrics=["return", "epsilon", "best_eval"],
        )
        progress.update(start_step)
        observation, _ = env.reset(seed=args.seed + start_step)
        episode_return = 0.0
        for step in range(start_step, args.total_steps):
            epsilon = linear_schedule(
                args.start_epsilon, args.end_epsilon, int(args.exploration_fraction * args.total_steps), step
            )
            if rng.random() < epsilon:
                action = int(rng.integers(CONFIG["actions"]))
            else:
                action = int(np.argmax(q_values(online, observation[None].astype("float32"))[0]))
            next_observation, reward, terminated, truncated, _ = env.step(action)
            buffer.add(observation, action, reward, next_observation, float(terminated))
            observation, episode_return = next_observation, episode_return + float(reward)
            if terminated or truncated:
                history["steps"].append(step + 1)
                history["returns"].append(episode_return)
                progress.update(step + 1, [("return", episode_return), ("epsilon", epsilon)])
                observation, _ = env.reset()
                episode_return = 0.0

            if step + 1 > args.learning_starts and (step + 1) % args.train_every == 0:
                for _ in range(args.gradient_steps):
                    _gradient_step(online, target, buffer.sample(args.batch_size, rng), args.gamma)
            if (step + 1) % args.target_update_every == 0:
                target.set_weights(online.get_weights())

            if (step + 1) % args.eval_every == 0 or step + 1 == args.total_steps:
                score = evaluate(online, episodes=args.eval_episodes, seed=10_000)["mean_return"]
                history["evals"].append([step + 1, score])
                if score >= best:  # ties go to the later, longer-trained weights
                    best = score
                    hub.save_weights(online, run.weights_path, name=spec.name)
                progress.update(step + 1, [("best_eval", best)])
                if verbose == 2:  # no live bar (a log file): one line per evaluation instead
                    recent = np.mean(history["returns"][-10:]) if history["returns"] else 0.0
                    print(
                        f"step {step + 1}: eval return {score:.1f} (best {best:.1f}), "
                        f"recent training return {recent:.1f}, epsilon {epsilon:.3f}",
                        flush=True,
                    )
                _checkpoint(checkpoint, online, target, buffer, step + 1, best, history)
        env.close()

        model = build(CONFIG)
        hub.load_weights(model, run.weights_path, name=spec.name)
        final = evaluate(model, episodes=args.final_eval_episodes)
        result = {
            "steps": args.total_steps,
            "seed": args.seed,
            "wall_time_s": run.wall_time({}),
            "best_eval_mean_return": best,
            "history": history,
            "test": spec.tasks().record("greedy episodes", args.final_eval_episodes, final),
            "epochs": None,
            "batch_size": args.batch_size,
            "train_examples": args.total_steps,
        }
        return run.finish(model, result, weights_saved=True)


def _gradient_step(online, target, batch: dict, gamma: float) -> None:
    targets = double_dqn_targets(
        q_values(online, batch["next_observations"]),
        q_values(target, batch["next_observations"]),
        batch["rewards"],
        batch["terminated"],
        gamma,
    )
    wanted = q_values(online, batch["observations"])
    wanted[np.arange(len(targets)), batch["actions"]] = targets
    online.train_on_batch(batch["observations"], wanted)


def _checkpoint(directory: Path, online, target, buffer, step, best, history) -> None:
    hub.save_weights(online, directory / "online.weights.h5", include_optimizer=True)
    hub.save_weights(target, directory / "target.weights.h5")
    with atomic_path(directory / "buffer.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **buffer.state())
    atomic_write_json(directory / "state.json", {"step": step, "best": best, "history": history})


RECIPE = Args()
