"""Plot a dqn_cartpole run: episodic return while training and greedy evaluations vs steps.

python tools/plot_dqn_run.py runs/dqn_cartpole docs/dqn_cartpole_training.png
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

run, out = Path(sys.argv[1]), Path(sys.argv[2])
record = json.loads((run / "dqn_cartpole.metrics.json").read_text())
history = record["history"]
steps, returns = np.asarray(history["steps"]), np.asarray(history["returns"])
window = 20
smooth = np.convolve(returns, np.ones(window) / window, mode="valid")

fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(steps, returns, color="tab:blue", alpha=0.25, lw=0.8, label="episode return (exploring)")
ax.plot(steps[window - 1 :], smooth, color="tab:blue", label=f"{window}-episode mean")
evals = np.asarray(history["evals"])
ax.plot(evals[:, 0], evals[:, 1], "o-", color="tab:red", label="greedy evaluation (20 episodes)")
ax.axhline(500, color="grey", ls="--", lw=0.8)
ax.set(
    xlabel="environment steps",
    ylabel="return",
    ylim=(0, 520),
    title=f"dqn_cartpole on {record['backend']}: {record['wall_time_s'] / 60:.0f} min, "
    f"final 100-episode greedy return {record['test']['metrics']['mean_return']:.1f}",
)
ax.legend(loc="lower right")
fig.tight_layout()
out.parent.mkdir(parents=True, exist_ok=True)
fig.savefig(out, dpi=90)
print(f"wrote {out}")
