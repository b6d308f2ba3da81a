"""Tabular Q-learning vs SARSA: the seeds' formulas on CliffWalking and FrozenLake (gymnasium).

    python examples/tabular_rl.py --out docs

Prints greedy-policy results and writes tabular_rl.png: returns while learning on CliffWalking
(SARSA earns more while exploring), the two greedy paths (Q-learning hugs the cliff, SARSA keeps
a row away), and FrozenLake's success rate. Runs in about a minute, offline.
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo.families.tabular_rl import tabular  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/tabular_rl")
parser.add_argument("--seeds", type=int, default=5, help="independent runs averaged per method")
args = parser.parse_args()

CLIFF = dict(env_id="CliffWalking-v1", episodes=500, alpha=0.5, gamma=1.0, epsilon=0.1)
LAKE = dict(env_id="FrozenLake-v1", episodes=20_000, alpha=0.05, gamma=0.99, epsilon=(1.0, 0.05))

results, curves, paths = {}, {}, {}
for method in tabular.METHODS:
    cliff_runs = [tabular.train(method, seed=s, **CLIFF) for s in range(args.seeds)]
    curves[method] = np.mean([r.returns for r in cliff_runs], axis=0)
    paths[method] = tabular.greedy_path(cliff_runs[0])
    lake = tabular.train(method, seed=0, is_slippery=True, **LAKE)
    results[method] = {
        "cliff_walking_greedy_return": np.mean([tabular.evaluate(r, 10)["mean_return"] for r in cliff_runs]),
        "cliff_walking_return_while_learning_last100": float(curves[method][-100:].mean()),
        "frozen_lake_greedy_success_rate": tabular.evaluate(lake, 1000, is_slippery=True)["success_rate"],
    }
print(json.dumps(results, indent=2))

fig, (curve_ax, grid_ax, lake_ax) = plt.subplots(
    1, 3, figsize=(15, 4), gridspec_kw={"width_ratios": [2, 2, 1]}
)
window = 10
for method, color in zip(tabular.METHODS, ("tab:red", "tab:blue"), strict=True):
    smooth = np.convolve(curves[method], np.ones(window) / window, mode="valid")
    curve_ax.plot(smooth, color=color, label=method)
curve_ax.set(
    ylim=(-120, 0),
    xlabel="episode",
    ylabel=f"return while learning ({window}-episode mean)",
    title=f"CliffWalking, epsilon 0.1 ({args.seeds} seeds)",
)
curve_ax.legend()

grid = np.zeros((4, 12))
grid[3, 1:11] = 1  # the cliff
grid_ax.imshow(grid, cmap="Greys", vmin=0, vmax=2)
for method, color, offset in zip(tabular.METHODS, ("tab:red", "tab:blue"), (-0.1, 0.1), strict=True):
    rows, cols = np.divmod(paths[method], 12)
    grid_ax.plot(cols, rows + offset, color=color, marker="o", label=f"{method} greedy path")
grid_ax.set(title="greedy paths (grey: the cliff)", xticks=[], yticks=[])
grid_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=8, ncol=2)

lake_ax.bar(
    tabular.METHODS,
    [results[m]["frozen_lake_greedy_success_rate"] for m in tabular.METHODS],
    color=["tab:red", "tab:blue"],
)
lake_ax.set(ylim=(0, 1), title="FrozenLake (slippery): success", ylabel="greedy success rate, 1000 episodes")
fig.tight_layout()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
fig.savefig(out / "tabular_rl.png", dpi=90)
(out / "tabular_rl.json").write_text(json.dumps(results, indent=2) + "\n")
print(f"wrote {(out / 'tabular_rl.png').resolve()}")
