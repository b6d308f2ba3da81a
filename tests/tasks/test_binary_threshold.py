"""A binary model's decision is its logit against the threshold shipped in its card (chosen on the
validation split for the shipped weights), in `predict`, `metrics` and the served label; other
weights (retrained, fine-tuned) decide at 0."""

from __future__ import annotations

import numpy as np
import pytest

import zoo


@pytest.fixture(scope="module")
def breast():
    task, model = zoo.task("breast_resnet"), zoo.load("breast_resnet")
    x, y = zoo.datasets.load_sample("breastmnist")
    return task, model, x, y, task.outputs(model, x).reshape(-1)


def test_decisions_and_accuracy_use_the_shipped_threshold(breast):
    task, model, x, y, logits = breast
    threshold = zoo.api.registry.get("breast_resnet").options["threshold"]["logit"]
    between = (logits > threshold) != (logits > 0)
    assert between.any(), "the sample holds no image whose decision the threshold changes"
    rows = task.predict(model, x, top=2)
    assert [r["decision"]["label"] for r in rows] == (logits > threshold).astype(int).tolist()
    assert {r["decision"]["threshold"] for r in rows} == {threshold}
    names = zoo.api.registry.get("breast_resnet").labels
    assert [r["decision"]["name"] for r in rows] == [names[int(z > threshold)] for z in logits]
    assert task.metrics(model, x, y)["accuracy"] == pytest.approx(np.mean((logits > threshold) == (y == 1)))


def test_the_served_label_is_the_decision(breast, tmp_path):
    pytest.importorskip("fastapi")
    from zoo.serve.service import Service

    task, model, x, y, logits = breast
    threshold = zoo.api.registry.get("breast_resnet").options["threshold"]["logit"]
    service = Service(["breast_resnet"], db=f"sqlite:///{tmp_path / 'feedback.db'}")
    names = zoo.api.registry.get("breast_resnet").labels
    for top in (1, 2):
        served = service.predict_array("breast_resnet", x, top=top)
        assert [r["label"] for r in served] == [names[int(z > threshold)] for z in logits]
        p1 = 1 / (1 + np.exp(-logits.astype("float64")))
        expected = np.where(logits > threshold, p1, 1 - p1)
        np.testing.assert_allclose([r["probability"] for r in served], expected, rtol=1e-5)


def test_other_weights_decide_at_zero(breast):
    task, model, x, y, logits = breast
    other = zoo.api.registry.get("breast_resnet").build()  # e.g. a retrained model: not the shipped file
    other.set_weights(model.get_weights())
    assert task.threshold(other) == 0.0
    assert [r["decision"]["label"] for r in task.predict(other, x)] == (logits > 0).astype(int).tolist()


def test_a_fine_tuned_binary_model_decides_at_zero():
    task = zoo.task("breast_resnet")
    tuned = task._tuned_spec("mine", ["malignant", "normal or benign"], True, "data/")
    assert "threshold" not in tuned.options and tuned.tasks().threshold() == 0.0


def test_without_an_operating_point_the_served_flag_follows_the_label(tmp_path):
    """breast_cifar_resnet has no operating point of the application: the medical page flags what its
    label calls malignant (the card's cut), not what a probability of 0.5 would."""
    pytest.importorskip("fastapi")
    from zoo.serve.service import Service

    name = "breast_cifar_resnet"
    x, _ = zoo.datasets.load_sample("breastmnist")
    threshold = zoo.api.registry.get(name).options["threshold"]["logit"]
    logits = zoo.task(name).outputs(zoo.load(name), x).reshape(-1)
    assert ((logits > 0) != (logits > threshold)).any(), "no sample image lies between 0 and the cut"
    served = Service([name], db=f"sqlite:///{tmp_path / 'feedback.db'}").predict_array(name, x, top=1)
    assert [r["flagged"] for r in served] == [r["label"] == "malignant" for r in served]
    assert [r["label"] == "malignant" for r in served] == (logits <= threshold).tolist()
    assert {r["operating_point"] for r in served} == {"the card's decision threshold (+0.2100)"}
