"""Plot a run's per-epoch history against epoch and against cumulative wall time: losses, and
accuracies in a second row where the run measured them.

python tools/plot_history.py runs/char_gpt docs/char_gpt_loss.png
python tools/plot_history.py runs/dcgan_mnist docs/dcgan_mnist_losses.png
python tools/plot_history.py runs/cifar_resnet docs/cifar_resnet_curves.png

Reads RUN/checkpoint/state.json (the history every epoch appends to, across resumed sessions).
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

run, out = Path(sys.argv[1]), Path(sys.argv[2])
history = json.loads((run / "checkpoint" / "state.json").read_text())["history"]
record = next(run.glob("*.metrics.json"), None)
title = json.loads(record.read_text())["model"] if record else run.name
seconds = np.cumsum(history["epoch_seconds"]) / 60
epochs = np.arange(1, len(seconds) + 1)
keys = [k for k in history if k != "epoch_seconds"]
panels = [("loss (nats)", [k for k in keys if "accuracy" not in k])]
if any("accuracy" in k for k in keys):
    panels.append(("accuracy", [k for k in keys if "accuracy" in k]))

fig, axes = plt.subplots(len(panels), 2, figsize=(11, 4 * len(panels)), sharey="row", squeeze=False)
for row, (ylabel, panel_keys) in zip(axes, panels, strict=True):
    for ax, x, label in ((row[0], epochs, "epoch"), (row[1], seconds, "wall time (minutes, this machine)")):
        for key in panel_keys:
            ax.plot(x, history[key], "o-", ms=3, label=key.replace("_", " "))
        ax.set(xlabel=label)
        ax.grid(alpha=0.3)
    row[0].set(ylabel=ylabel)
    row[0].legend()
fig.suptitle(f"{title}: per-epoch history")
fig.tight_layout()
out.parent.mkdir(parents=True, exist_ok=True)
fig.savefig(out, dpi=110)
print(f"wrote {out}")
