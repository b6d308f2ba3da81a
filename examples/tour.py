"""A five-minute offline tour of Kerazoo on its pretrained weights and real MNIST and CIFAR-10 test images.

    python examples/tour.py                      # backend from KERAS_BACKEND (default tensorflow)
    KERAS_BACKEND=jax python examples/tour.py --out tour

It lists the zoo, classifies the bundled real MNIST test digits and CIFAR-10 test photos with each
pretrained classifier, prints accuracy on those samples, and writes PNG grids of the images with
their predicted labels.
"""

import argparse
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")  # files only: the tour runs on machines without a screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo import catalog  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/tour", help="folder for the PNG grid")
args = parser.parse_args()

print(f"Kerazoo on keras {keras.__version__}, backend {keras.backend.backend()}\n")
print(catalog.text(catalog.rows()))

out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)


def sample_accuracy(dataset: str, pattern: str) -> dict:
    """Each matching classifier's predicted labels on the dataset's bundled test sample."""
    x, y = zoo.datasets.load_sample(dataset)
    print(f"\nBundled sample: {len(x)} real {dataset} test images")
    predictions = {}
    for name in zoo.list_models(pattern):
        predictions[name] = zoo.load(name).predict(x, verbose=0).argmax(-1)
        card = zoo.card(name)
        full = card["metrics"].get(keras.backend.backend(), {}).get("metrics", {}).get("accuracy")
        full_text = f" (card, test split: {full:.2%})" if full else ""
        print(f"  {name:<12} accuracy {np.mean(predictions[name] == y):.2%}{full_text}")
    return predictions


def save_grid(dataset: str, name: str, guesses: np.ndarray, labels, path: Path) -> None:
    """The first 48 sample images with the model's label, red where it is wrong."""
    x, y = zoo.datasets.load_sample(dataset)
    fig, axes = plt.subplots(6, 8, figsize=(8, 6.6))
    for ax, image, truth, guess in zip(axes.flat, x[:48], y[:48], guesses[:48], strict=True):
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_title(
            f"{labels[guess]}" + ("" if guess == truth else f" (is {labels[truth]})"),
            color="black" if guess == truth else "red",
            fontsize=8 if len(str(labels[guess])) < 4 else 6,
        )
        ax.axis("off")
    fig.suptitle(f"{name} on real {dataset} test images ({keras.backend.backend()})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"Wrote {path.resolve()}")


digits = sample_accuracy("mnist", "mnist_*")
save_grid("mnist", "mnist_cnn", digits["mnist_cnn"], list(range(10)), out / "mnist_predictions.png")
photos = sample_accuracy("cifar10", "cifar_*")
labels = zoo.card("cifar_resnet")["labels"]
save_grid("cifar10", "cifar_resnet", photos["cifar_resnet"], labels, out / "cifar_predictions.png")
