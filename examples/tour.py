"""A five-minute offline tour of Kerazoo on its pretrained weights and real MNIST test digits.

    python examples/tour.py                      # backend from KERAS_BACKEND (default tensorflow)
    KERAS_BACKEND=jax python examples/tour.py --out tour

It lists the zoo, classifies the bundled real MNIST test digits with each pretrained classifier,
prints accuracy on that sample, and writes a PNG grid of digits with their predicted labels.
"""

import argparse
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")  # files only: the tour runs on machines without a screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo import catalog, evaluation  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/tour", help="folder for the PNG grid")
args = parser.parse_args()

print(f"Kerazoo on keras {keras.__version__}, backend {keras.backend.backend()}\n")
print(catalog.text(catalog.rows()))

x, y = zoo.datasets.load_sample("mnist")  # 500 real digits from the official test split
print(f"\nBundled sample: {len(x)} real MNIST test digits")
predictions = {}
for name in zoo.list_models("mnist_*"):
    logits = evaluation.predict(zoo.load(name), x)
    predictions[name] = logits.argmax(-1)
    card = zoo.card(name)
    full = card["metrics"].get(keras.backend.backend(), {}).get("metrics", {}).get("accuracy")
    full_text = f" (card, full 10k test: {full:.2%})" if full else ""
    print(f"  {name:<10} accuracy {np.mean(predictions[name] == y):.2%}{full_text}")

# A grid of the first 48 digits: the CNN's label, red where it is wrong.
name = "mnist_cnn"
fig, axes = plt.subplots(6, 8, figsize=(8, 6.6))
for ax, image, truth, guess in zip(axes.flat, x[:48], y[:48], predictions[name][:48], strict=True):
    ax.imshow(image, cmap="gray")
    ax.set_title(
        f"{guess}" + ("" if guess == truth else f" (is {truth})"),
        color="black" if guess == truth else "red",
        fontsize=9,
    )
    ax.axis("off")
fig.suptitle(f"{name} on real MNIST test digits ({keras.backend.backend()})")
fig.tight_layout()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
path = out / "mnist_predictions.png"
fig.savefig(path, dpi=100)
print(f"\nWrote {path.resolve()}")
