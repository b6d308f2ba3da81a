"""Choose a binary classifier's decision threshold on its validation split, for the card.

    ZOO_DATA_DIR=/path/to/datasets python tools/choose_threshold.py pneumonia_resnet breast_resnet \
        breast_cifar_resnet

The cut on the label-1 logit with the highest validation accuracy (cuts lie halfway between
neighbouring validation logits, so another backend's float noise cannot move an image across one);
among equally accurate cuts, the one nearest to 0 (the trained decision). Prints the option to put in
the model's registration, tied to the shipped weights' sha256. The test split is not read.
"""

import json
import sys

import numpy as np

import zoo
from zoo.core import hub


def choose(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    """(cut, validation accuracy at the cut, at 0)."""
    values = np.unique(logits)
    cuts = np.concatenate([[values[0] - 1], (values[1:] + values[:-1]) / 2, [values[-1] + 1]])
    accuracy = np.array([np.mean((logits > c) == (labels == 1)) for c in cuts])
    best = cuts[accuracy == accuracy.max()]
    cut = float(best[np.argmin(np.abs(best))])
    return cut, float(accuracy.max()), float(np.mean((logits > 0) == (labels == 1)))


for name in sys.argv[1:]:
    spec = zoo.api.registry.get(name)
    x, y = zoo.datasets.load(spec.dataset, "val")
    logits = spec.tasks().outputs(zoo.load(name), x).reshape(-1)
    cut, at_cut, at_zero = choose(logits, np.asarray(y).reshape(-1))
    option = {"logit": round(cut, 4), "weights_sha256": hub.entry(name)["sha256"]}
    found = {"model": name, "threshold": option, "val_accuracy": at_cut, "val_accuracy_at_0": at_zero}
    print(json.dumps(found))
