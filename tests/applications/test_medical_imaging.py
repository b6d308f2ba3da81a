"""Medical imaging application: metrics against hand-made cases, Grad-CAM sanity, shipped models."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import zoo
from applications.medical_imaging import MODELS, analysis
from applications.medical_imaging import metrics as m
from applications.medical_imaging.__main__ import main
from applications.medical_imaging.gradcam import gradcam
from tests.conftest import auc_floor, full_data, sample_threshold
from zoo.core import hub

requires_full = pytest.mark.skipif(
    not (full_data("pneumoniamnist", "pneumoniamnist.npz") and full_data("breastmnist", "breastmnist.npz")),
    reason="MedMNIST npz files ($ZOO_DATA_DIR/<dataset>/<dataset>.npz) not found: the full checks need them",
)


def test_threshold_reaches_the_target_sensitivity():
    y = np.array([1] * 20 + [0] * 20)
    p = np.r_[np.linspace(0.3, 0.99, 20), np.linspace(0.0, 0.6, 20)]
    threshold = m.threshold_for_sensitivity(y, p, 0.95)
    point = m.at_threshold(y, p, threshold)
    assert point["sensitivity"] >= 0.95 and point["sensitivity"] - 0.95 < 1 / 20  # the highest such threshold
    assert sum(map(sum, point["confusion"])) == 40


def test_calibration_error_and_temperature_scaling():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=20_000)
    y = (rng.random(20_000) < m.probabilities(true_logits)).astype(int)
    assert m.expected_calibration_error(y, m.probabilities(true_logits)) < 0.02  # calibrated by construction
    overconfident = 3 * true_logits
    assert m.expected_calibration_error(y, m.probabilities(overconfident)) > 0.05
    temperature = m.fit_temperature(y, overconfident)
    assert temperature == pytest.approx(3.0, rel=0.1)
    assert m.negative_log_likelihood(y, overconfident, temperature) < m.negative_log_likelihood(
        y, overconfident
    )


def test_bootstrap_interval_brackets_the_auc():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    result = m.auc_with_ci(y, p, resamples=300)
    assert result["auc_ci95"][0] < result["auc"] < result["auc_ci95"][1]


@pytest.mark.parametrize("dataset", sorted(MODELS))
def test_shipped_model_on_bundled_test_sample(dataset, backend_name):
    name = MODELS[dataset]
    x, labels = zoo.datasets.load_sample(dataset)
    measured = zoo.task(name).metrics(zoo.load(name), x, labels)
    recorded = hub.entry(name)["metrics"][backend_name]["metrics"]
    assert measured["accuracy"] >= sample_threshold(recorded["accuracy"], len(labels))
    assert measured["auc"] >= auc_floor(recorded["auc"], int((labels == 1).sum()), int((labels == 0).sum()))


@pytest.mark.parametrize("name", ["pneumonia_resnet", "breast_cifar_resnet"])  # two architectures
def test_gradcam_shape_range_and_model_randomisation(name, backend_name):
    x, _ = zoo.datasets.load_sample(zoo.api.registry.get(name).dataset)
    trained = gradcam(zoo.load(name), x[:16])
    assert trained.shape == (16, 28, 28) and trained.min() >= 0.0
    # each map scaled to a peak of 1, or all 0 where no channel speaks for the label (Grad-CAM's ReLU);
    # pneumonia_resnet's average-pooled ReLU features always have some evidence, cifar_resnet's
    # max-pooled GELU features not for every image
    peaks = trained.max(axis=(1, 2))
    if name == "pneumonia_resnet":
        assert np.allclose(peaks, 1.0)
    else:
        assert np.all(np.isclose(peaks, 1.0) | (peaks == 0.0)) and np.isclose(peaks, 1.0).mean() >= 0.5
    random = gradcam(zoo.load(name, weights=None), x[:16])
    # Adebayo et al. 2018: an explanation must depend on the learned weights.
    assert np.abs(trained - random).mean() > 0.1


def test_predict_any_image_size_and_colour(tmp_path, capsys):
    x, _ = zoo.datasets.load_sample("pneumoniamnist")
    photo = tmp_path / "xray.jpg"
    Image.fromarray(np.stack([x[0]] * 3, axis=-1)).resize((96, 80)).save(photo)
    code = main(["predict", str(photo), "--out", str(tmp_path / "maps"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    prediction = json.loads(out)["predictions"][0]
    assert 0.0 <= prediction["probability"] <= 1.0
    assert Image.open(prediction["heatmap"]).size[0] > 100


def test_predict_refuses_a_non_image(tmp_path, capsys):
    text = tmp_path / "scan.png"
    text.write_text("not an image")
    code = main(["predict", str(text)])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not an image file" in err


@requires_full
@pytest.mark.parametrize("dataset", sorted(MODELS))
def test_full_evaluation_meets_the_measured_figures(dataset, backend_name, capsys):
    assert main(["evaluate", "--dataset", dataset, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["metrics"]) >= {"accuracy", "auc", "sensitivity", "specificity", "ece"}
    assert result["backend"] == backend_name and result["split"] == "test"
    recorded = hub.entry(MODELS[dataset])["metrics"][backend_name]["metrics"]
    # the card's accuracy is at its own threshold (chosen on validation), as zoo eval measures it
    card_accuracy = result["metrics"]["accuracy_at_card_threshold"]
    assert card_accuracy == pytest.approx(recorded["accuracy"], abs=2 / result["n"])
    assert result["metrics"]["auc"] == pytest.approx(recorded["auc"], abs=1e-3)


@requires_full
def test_operating_point_and_temperature_on_validation(tmp_path):
    result = analysis.analyse("pneumoniamnist", resamples=50)
    assert (
        result["validation"]["sensitivity_at_operating_point"]
        >= result["operating_point"]["target_sensitivity"]
    )
    assert result["validation"]["nll_temperature_scaled"] <= result["validation"]["nll"]
    # The report a person reads.
    from applications.medical_imaging import report

    path = report.write(result, tmp_path)
    assert "not a medical device" in path.read_text()
    for figure in ("roc.png", "reliability.png", "confusion.png", "gradcam.png"):
        assert (tmp_path / figure).stat().st_size > 5_000
