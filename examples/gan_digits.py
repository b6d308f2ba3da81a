"""Digits on request from the pretrained conditional DCGAN, checked by the zoo's own classifier.

    python examples/gan_digits.py --out runs/gan_digits

Writes digits.png (one row per digit), interpolation.png (a walk between two noise vectors,
for every digit) and prints how often mnist_cnn reads each generated digit as the one asked for.
"""

import argparse
from pathlib import Path

import numpy as np

import zoo
from zoo.families.dcgan import gan_metrics, image_grid

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/gan_digits")
parser.add_argument("--n", type=int, default=1000, help="samples for the agreement check")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
out = Path(args.out)

generator = zoo.load("dcgan_mnist")
rows = generator.generate(np.repeat(np.arange(10), 10), seed=args.seed)
image_grid.save_png(image_grid.grid(rows, columns=10), out / "digits.png")

start, end = generator.noise(2, args.seed)
walk = np.tile(image_grid.interpolate(start, end, 10), (10, 1))
strips = generator.generate(np.repeat(np.arange(10), 10), noise=walk)
image_grid.save_png(image_grid.grid(strips, columns=10), out / "interpolation.png")

classifier, _ = gan_metrics.classifier_and_features()
labels = gan_metrics.balanced_labels(args.n)
read_as = classifier.predict(generator.generate(labels, seed=args.seed)[..., None], verbose=0).argmax(-1)
for digit in range(10):
    print(f"digit {digit}: mnist_cnn agrees on {np.mean(read_as[labels == digit] == digit):.1%}")
print(f"class agreement {np.mean(read_as == labels):.1%} on {args.n} samples")
print(f"Wrote {(out / 'digits.png').resolve()} and {(out / 'interpolation.png').resolve()}")
