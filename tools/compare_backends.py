"""How far apart the three backends are on a model's whole test split: the share of identical
predicted labels and the largest logit difference against TensorFlow.

    ZOO_DATA_DIR=/path/to/datasets python tools/compare_backends.py cifar_resnet [--tta]
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SCRIPT = """
import sys, numpy as np, zoo
from zoo import datasets
name, tta, out = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
x, y = datasets.load(zoo.card(name)["dataset"], "test")
np.save(out, zoo.task(name).outputs(zoo.load(name), x, tta=tta))
"""

name = sys.argv[1]
tta = "--tta" in sys.argv
outputs = {}
with tempfile.TemporaryDirectory() as tmp:
    for backend_name in ("tensorflow", "jax", "torch"):
        path = Path(tmp) / f"{backend_name}.npy"
        subprocess.run(
            [sys.executable, "-c", SCRIPT, name, "1" if tta else "0", str(path)],
            env={**os.environ, "KERAS_BACKEND": backend_name},
            check=True,
            capture_output=True,
        )
        outputs[backend_name] = np.load(path)


def labels(logits):
    return logits.argmax(-1) if logits.shape[-1] > 1 else (logits[:, 0] > 0).astype(int)


reference = outputs["tensorflow"]
report = {"model": name, "tta": tta, "n": int(len(reference))}
for other in ("jax", "torch"):
    report[other] = {
        "same_label_share": float(np.mean(labels(outputs[other]) == labels(reference))),
        "max_abs_logit_diff": float(np.abs(outputs[other] - reference).max()),
    }
print(json.dumps(report))
