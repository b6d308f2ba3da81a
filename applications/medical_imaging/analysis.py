"""Measure a shipped MedMNIST classifier: every choice on the validation split, the test split once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import zoo
from applications.medical_imaging import MODELS
from applications.medical_imaging import metrics as m
from zoo.core import backend
from zoo.core.atomic import atomic_write_json

OPERATING_POINTS = Path(__file__).resolve().parent / "operating_points.json"


def model_for(dataset: str):
    if dataset not in MODELS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(MODELS)}.")
    return zoo.card(MODELS[dataset])


def disease_scores(spec, model, split: str, data_dir=None):
    """(images, y: 1 = disease, disease logits) of one split."""
    x, labels = zoo.datasets.load(spec["dataset"], split, data_dir=data_dir)
    positive = spec["options"]["positive_label"]
    z = m.disease_logits(model.predict(x, batch_size=512, verbose=0), positive)
    return x, (labels == positive).astype(int), z


def card_probability(spec, model) -> float:
    """The zoo task's decision threshold for `model` (a cut on the label-1 logit chosen on validation
    for the shipped weights; 0 for others) as a disease probability: with the disease at label 0,
    label 0 is decided where z <= the cut."""
    cut = zoo.task(spec["name"]).threshold(model)
    return float(m.probabilities(np.array(cut if spec["options"]["positive_label"] == 1 else -cut)))


def calibrate(dataset: str, target_sensitivity: float = 0.95, data_dir=None) -> dict:
    """Fit the temperature and the operating threshold on the validation split, and store them."""
    spec = model_for(dataset)
    _, y_val, z_val = disease_scores(spec, zoo.load(spec["name"]), "val", data_dir)
    temperature = m.fit_temperature(y_val, z_val)
    point = {
        "model": spec["name"],
        "weights_sha256": spec["weights"]["sha256"],
        "temperature": temperature,
        "target_sensitivity": target_sensitivity,
        "threshold": m.threshold_for_sensitivity(
            y_val, m.probabilities(z_val, temperature), target_sensitivity
        ),
        "fitted_on": f"{dataset} val ({len(y_val)} images), {backend.current()}",
    }
    points = _stored_points()
    points[dataset] = point
    atomic_write_json(OPERATING_POINTS, dict(sorted(points.items())))
    return point


def _stored_points() -> dict:
    return json.loads(OPERATING_POINTS.read_text()) if OPERATING_POINTS.is_file() else {}


def operating_point(dataset: str) -> dict:
    """The stored temperature and threshold; refused when they belong to other weights."""
    spec = model_for(dataset)
    point = _stored_points().get(dataset)
    if point is None or point["weights_sha256"] != spec["weights"]["sha256"]:
        raise ValueError(
            f"no operating point for the shipped {spec['name']} weights; run "
            f"`python -m applications.medical_imaging calibrate --dataset {dataset}`."
        )
    return point


def analyse(dataset: str, data_dir=None, resamples: int = 1000) -> dict:
    """All test-split metrics of the shipped model, with the validation-fitted operating point."""
    spec = model_for(dataset)
    model = zoo.load(spec["name"])
    point = operating_point(dataset)
    t = point["temperature"]
    _, y_val, z_val = disease_scores(spec, model, "val", data_dir)
    x, y, z = disease_scores(spec, model, "test", data_dir)
    p_raw, p_cal = m.probabilities(z), m.probabilities(z, t)
    at_half, at_point = m.at_threshold(y, p_raw, 0.5), m.at_threshold(y, p_cal, point["threshold"])
    at_card = m.at_threshold(y, p_raw, card_probability(spec, model))
    return {
        "model": spec["name"],
        "backend": backend.current(),
        "dataset": dataset,
        "split": "test",
        "n": int(len(y)),
        "positive_class": spec["labels"][spec["options"]["positive_label"]],
        "metrics": {
            "accuracy": at_half["accuracy"],
            **m.auc_with_ci(y, p_raw, resamples=resamples),
            # sensitivity, specificity and threshold at the validation-chosen operating point
            **{k: v for k, v in at_point.items() if k not in ("confusion", "accuracy")},
            "accuracy_at_operating_point": at_point["accuracy"],
            "accuracy_at_card_threshold": at_card["accuracy"],  # `zoo eval`'s figure
            "ece": m.expected_calibration_error(y, p_raw),
            "ece_temperature_scaled": m.expected_calibration_error(y, p_cal),
        },
        "at_0.5": at_half,
        "at_card_threshold": at_card,
        "at_operating_point": at_point,
        "operating_point": point,
        "validation": {
            "n": int(len(y_val)),
            "nll": m.negative_log_likelihood(y_val, z_val),
            "nll_temperature_scaled": m.negative_log_likelihood(y_val, z_val, t),
            "sensitivity_at_operating_point": m.at_threshold(
                y_val, m.probabilities(z_val, t), point["threshold"]
            )["sensitivity"],
        },
        "reliability": {"raw": m.reliability(y, p_raw), "temperature_scaled": m.reliability(y, p_cal)},
        "_arrays": {"x": x, "y": y, "p": p_cal},  # for figures; not written to JSON
    }


def machine_readable(result: dict) -> dict:
    """The `evaluate --json` object: backend, split, n and the headline metrics."""
    keys = ("accuracy", "auc", "sensitivity", "specificity", "ece")
    return {
        "model": result["model"],
        "backend": result["backend"],
        "dataset": result["dataset"],
        "split": result["split"],
        "n": result["n"],
        "metrics": {k: result["metrics"][k] for k in keys}
        | {
            k: result["metrics"][k]
            for k in (
                "auc_ci95",
                "threshold",
                "accuracy_at_operating_point",
                "accuracy_at_card_threshold",
                "ece_temperature_scaled",
            )
        },
    }
