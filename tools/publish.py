"""Ship a trained run: copy its weights into zoo/weights and measure them on every backend.

    ZOO_DATA_DIR=/path/to/datasets python tools/publish.py runs/mnist_mlp

Reads RUN/<name>.metrics.json written by `zoo train`, records the training command, backend
and wall time in zoo/weights/manifest.json, then runs `zoo --backend B eval NAME --record` for
each backend so that every metric in the manifest is one `zoo eval` measured on the full test split
(and `--tta` beside it for models with flip test-time augmentation).
"""

import json
import subprocess
import sys
from pathlib import Path

from zoo import api
from zoo.core import backend, hub, registry

run = Path(sys.argv[1])
(metrics_file,) = run.glob("*.metrics.json")
trained = json.loads(metrics_file.read_text())
name = trained["model"]
if "holdout" in trained or "--limit" in (trained.get("command") or ""):
    sys.exit(f"{metrics_file} comes from a --holdout or --limit run; ship only full-recipe runs.")
RECORDED = (
    "epochs",
    "batch_size",
    "train_examples",
    "seed",
    "recipe",
    "train_characters",
    "tokens_seen",
    "tokens_per_s",
)
hub.publish(
    name,
    trained["weights"],
    {
        "command": trained["command"],
        "trained_on": trained["backend"],
        "wall_time_s": trained["wall_time_s"],
        **{key: trained[key] for key in RECORDED if key in trained},
        "final_train_loss": trained["history"].get("loss", [None])[-1],
    },
)
hub.record_facts(name, api.card_facts(name))  # what `zoo list` and `zoo info` show without keras
variants = [[], ["--tta"]] if registry.get(name).options.get("flip_tta") else [[]]
for name_of_backend in backend.BACKENDS:
    for variant in variants:
        subprocess.run(
            [sys.executable, "-m", "zoo", "--backend", name_of_backend, "eval", name, "--record", "--json"]
            + variant,
            check=True,
        )
print(json.dumps(hub.entry(name)["metrics"], indent=1))
