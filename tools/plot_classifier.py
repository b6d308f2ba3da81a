"""Pictures of an image classifier on its test split: sample predictions and the confusion matrix.

    ZOO_DATA_DIR=/path/to/datasets python tools/plot_classifier.py cifar_resnet [--tta]

Writes docs/NAME_predictions.png (the bundled sample's first image of each class, with the
predicted label and its probability; red where wrong) and docs/NAME_confusion.png (the whole
locally available test split, rows = true class, normalized per row).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

import zoo  # noqa: E402
from zoo import datasets  # noqa: E402
from zoo.core import backend  # noqa: E402
from zoo.tasks.classification import class_probabilities  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("name")
parser.add_argument("--tta", action="store_true", help="average over left-right flips")
parser.add_argument("--out", default="docs")
args = parser.parse_args()
card = zoo.card(args.name)
labels = card["labels"]
model = zoo.load(args.name)


def probabilities(x: np.ndarray) -> np.ndarray:
    return class_probabilities(zoo.task(args.name).outputs(model, x, tta=args.tta))


out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
how = f"{backend.current()}{', flip TTA' if args.tta else ''}"

x, y = datasets.load_sample(card["dataset"])
shown = np.concatenate([np.flatnonzero(y == c)[: 20 // len(labels)] for c in range(len(labels))])
p = probabilities(x[shown])
columns = 10
rows = int(np.ceil(len(shown) / columns))
fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.3, rows * 1.95))
for ax, image, truth, probs in zip(axes.flat, x[shown], y[shown], p, strict=False):
    guess = int(probs.argmax())
    ax.imshow(image)
    color = "black" if guess == truth else "red"
    ax.set_title(f"{labels[guess]}\n{probs[guess]:.0%}", fontsize=7, color=color)
    ax.axis("off")
for ax in list(axes.flat)[len(shown) :]:
    ax.axis("off")
fig.suptitle(f"{args.name}: predictions on real test images (red: wrong; {how})", fontsize=9)
fig.tight_layout()
fig.savefig(out / f"{args.name}_predictions.png", dpi=110)

x, y = datasets.load(card["dataset"], "test")
predicted = probabilities(x).argmax(-1)
fig, ax = plt.subplots(figsize=(7.5, 6.5) if len(labels) > 2 else (4, 3.5))
ConfusionMatrixDisplay.from_predictions(
    y, predicted, display_labels=labels, normalize="true", values_format=".2f", ax=ax, colorbar=False
)
ax.set_title(f"{args.name}: test[:{len(y)}], accuracy {np.mean(predicted == y):.3f} ({how})", fontsize=9)
plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
fig.tight_layout()
fig.savefig(out / f"{args.name}_confusion.png", dpi=110)
print(f"wrote {out / f'{args.name}_predictions.png'} and {out / f'{args.name}_confusion.png'}")
