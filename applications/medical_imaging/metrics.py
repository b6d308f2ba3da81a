"""Operating-point, discrimination and calibration metrics for a binary disease score.

Everything works on the *disease* logit z (positive class = the disease, whatever its label
index in the dataset) and on y = 1 for disease, 0 otherwise.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit
from sklearn.metrics import confusion_matrix, roc_auc_score


def disease_logits(label1_logits: np.ndarray, positive_label: int) -> np.ndarray:
    """The model scores label 1; flip the sign when the disease is label 0."""
    z = np.asarray(label1_logits, dtype="float64").reshape(-1)
    return z if positive_label == 1 else -z


def probabilities(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return expit(z / temperature)


def auc_with_ci(y: np.ndarray, p: np.ndarray, resamples: int = 1000, seed: int = 0) -> dict:
    """ROC AUC and its percentile-bootstrap 95% interval (resampling cases with replacement)."""
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(resamples):
        rows = rng.integers(0, len(y), size=len(y))
        if 0 < y[rows].sum() < len(rows):  # both classes needed for an AUC
            scores.append(roc_auc_score(y[rows], p[rows]))
    low, high = np.percentile(scores, [2.5, 97.5])
    return {"auc": float(roc_auc_score(y, p)), "auc_ci95": [float(low), float(high)]}


def threshold_for_sensitivity(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """A threshold whose sensitivity (recall of the disease) reaches `target`, as high as possible.

    It lies halfway between the lowest positive score that must be flagged and the next lower
    score, so float noise of another backend (about 1e-7) cannot move a case across it.
    """
    if not 0 < target <= 1:
        raise ValueError(f"target sensitivity must be in (0, 1], got {target}.")
    positives = np.sort(p[y == 1])[::-1]
    needed = int(np.ceil(target * len(positives)))  # this many positives must score >= threshold
    lowest_flagged = positives[needed - 1]
    below = p[p < lowest_flagged]
    return float((lowest_flagged + (below.max() if below.size else 0.0)) / 2)


def at_threshold(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    """Decisions p >= threshold: sensitivity, specificity, accuracy, confusion [[TN, FP], [FN, TP]]."""
    decided = (p >= threshold).astype(int)
    (tn, fp), (fn, tp) = confusion_matrix(y, decided, labels=[0, 1])
    return {
        "threshold": float(threshold),
        "sensitivity": tp / max(tp + fn, 1),
        "specificity": tn / max(tn + fp, 1),
        "accuracy": (tp + tn) / len(y),
        "confusion": [[int(tn), int(fp)], [int(fn), int(tp)]],
    }


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict:
    """Per-bin mean predicted probability, observed rate and count, for a reliability diagram."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = [
        (p[which == b].mean(), y[which == b].mean(), int((which == b).sum()))
        for b in range(bins)
        if (which == b).any()
    ]
    predicted, observed, counts = (list(col) for col in zip(*rows, strict=True))
    return {"predicted": predicted, "observed": observed, "count": counts}


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean predicted probability| over equal-width bins, weighted by count."""
    table = reliability(y, p, bins)
    gaps = np.abs(np.subtract(table["observed"], table["predicted"]))
    return float(np.dot(table["count"], gaps) / len(y))


def negative_log_likelihood(y: np.ndarray, z: np.ndarray, temperature: float = 1.0) -> float:
    p = np.clip(probabilities(z, temperature), 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_temperature(y: np.ndarray, z: np.ndarray) -> float:
    """Temperature scaling (Guo et al. 2017): the T > 0 minimizing validation NLL of sigmoid(z / T)."""
    found = minimize_scalar(
        lambda log_t: negative_log_likelihood(y, z, float(np.exp(log_t))), bounds=(-3, 3), method="bounded"
    )
    return float(np.exp(found.x))
