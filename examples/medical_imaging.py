"""Pneumonia on chest X-rays: a pretrained zoo ResNet, its operating point, and Grad-CAM. Offline.

    python examples/medical_imaging.py            # on the 200 bundled real PneumoniaMNIST test images
    KERAS_BACKEND=jax python examples/medical_imaging.py --out runs/medical_example

RESEARCH DEMO, NOT A MEDICAL DEVICE. For the full report (test split, bootstrap CI, calibration):
    python -m applications.medical_imaging report --dataset pneumoniamnist --out runs/medical
"""

import argparse
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

import zoo  # noqa: E402
from applications.medical_imaging import DISCLAIMER, analysis  # noqa: E402
from applications.medical_imaging import metrics as m  # noqa: E402
from applications.medical_imaging.gradcam import gradcam, overlay  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/medical_example")
args = parser.parse_args()
print(DISCLAIMER)

# 1. Real test images shipped with the package, and the pretrained model (raw uint8 in, one logit out).
x, labels = zoo.datasets.load_sample("pneumoniamnist")  # 0 = normal, 1 = pneumonia
model = zoo.load("pneumonia_resnet")
logits = model.predict(x, verbose=0).reshape(-1)

# 2. The operating point chosen on the validation split: temperature, then a threshold for 95% sensitivity.
point = analysis.operating_point("pneumoniamnist")
p = m.probabilities(logits, point["temperature"])
result = m.at_threshold(labels, p, point["threshold"])
print(
    f"backend {keras.backend.backend()}, {len(labels)} bundled test X-rays: "
    f"AUC {roc_auc_score(labels, p):.3f}, "
    f"sensitivity {result['sensitivity']:.3f}, specificity {result['specificity']:.3f} "
    f"at threshold {point['threshold']:.3f}"
)

# 3. Grad-CAM: which regions raise the pneumonia score.
cases = np.r_[np.flatnonzero(labels == 1)[:4], np.flatnonzero(labels == 0)[:4]]
cams = gradcam(model, x[cases])
fig, axes = plt.subplots(2, 4, figsize=(8, 4.4))
for ax, i, cam in zip(axes.flat, cases, cams, strict=True):
    truth = "pneumonia" if labels[i] else "normal"
    overlay(ax, x[i], cam, f"{truth}, p={p[i]:.2f}")
fig.suptitle("Grad-CAM of the pneumonia score (research demo)")
fig.tight_layout()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
fig.savefig(out / "pneumonia_gradcam.png", dpi=100)
print(f"wrote {(out / 'pneumonia_gradcam.png').resolve()}")
