"""How good a conditional digit generator is, measured with the zoo's own MNIST classifier.

- class agreement: the share of generated digits that the pretrained mnist_cnn reads as the
  digit that was asked for;
- FID (Heusel et al. 2017) between generated and real test digits, in the feature space of
  mnist_cnn's penultimate layer (not Inception's: these are 28x28 digits), with the FID between
  real train and real test digits in the same features as the floor a perfect generator meets.
"""

from __future__ import annotations

import keras
import numpy as np
from scipy import linalg

from zoo import datasets


def frechet_distance(mean_a, cov_a, mean_b, cov_b) -> float:
    """||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2)) between two Gaussians."""
    root, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    if not np.isfinite(root).all():  # near-singular product: nudge both diagonals (as pytorch-fid does)
        offset = np.eye(len(cov_a)) * 1e-6
        root = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    root = root.real  # imaginary parts are round-off
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root))


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, dtype="float64")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    return frechet_distance(*statistics(features_a), *statistics(features_b))


def classifier_and_features():
    """The pretrained mnist_cnn and a model giving its penultimate (pre-logit) features."""
    from zoo.core import registry

    classifier = registry.get("mnist_cnn").load()
    features = keras.Model(classifier.inputs, classifier.get_layer("logits").input)
    return classifier, features


def balanced_labels(n: int) -> np.ndarray:
    """0, 1, ..., 9, 0, 1, ...: n labels as even across digits as n allows."""
    return (np.arange(n) % 10).astype("int32")


def evaluate(generator, n: int = 10_000, seed: int = 0, data_dir=None) -> dict:
    """Class agreement and FIDs of `generator` on n samples (balanced over digits)."""
    if not 10 <= n <= 10_000:
        raise ValueError(f"n must be between 10 and 10000 samples, got {n}.")
    classifier, features = classifier_and_features()
    labels = balanced_labels(n)
    fakes = generator.generate(labels, seed=seed)
    read_as = classifier.predict(fakes[..., None], batch_size=500, verbose=0).argmax(axis=-1)
    per_digit = [float(np.mean(read_as[labels == d] == d)) for d in range(10)]
    real_test, _ = datasets.load("mnist", "test", data_dir=data_dir)
    real_train, _ = datasets.load("mnist", "train", data_dir=data_dir)
    train_rows = np.random.default_rng(seed).choice(len(real_train), size=len(real_test), replace=False)

    def feats(images):
        return features.predict(images[..., None], batch_size=500, verbose=0)

    test_features = feats(real_test)
    return {
        "class_agreement": float(np.mean(read_as == labels)),
        "class_agreement_per_digit": per_digit,
        "fid": fid(feats(fakes), test_features),
        "fid_real_reference": fid(feats(real_train[train_rows]), test_features),
    }
