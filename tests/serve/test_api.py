"""The JSON API on this backend: every endpoint answers in its documented shape, with the model's numbers."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

import zoo
from tests.serve.conftest import png


def _image(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_healthz_and_catalogue(client, backend_name):
    assert client.get("/healthz").json() == {"status": "ok", "backend": backend_name, "models": 8}
    models = {m["name"]: m for m in client.get("/api/v1/models").json()["models"]}
    assert models["mnist_mlp"]["page"] == "digits" and models["pneumonia_resnet"]["page"] == "medical"
    assert models["char_gpt"]["version"].startswith("sha256:")
    card = client.get("/api/v1/models/mnist_mlp").json()["card"]
    assert card["metrics"][backend_name]["metrics"]["accuracy"] > 0.97
    assert "/api/v1/models/{name}/predict" in client.get("/openapi.json").json()["paths"]


def test_predict_is_the_models_own_answer(client, mnist_sample, backend_name):
    x, y = mnist_sample
    files = [("file", (f"{i}.png", png(x[i]), "image/png")) for i in range(8)]
    body = client.post("/api/v1/models/mnist_mlp/predict", files=files, params={"top": 3}).json()
    assert body["model"] == "mnist_mlp" and body["backend"] == backend_name
    expected = zoo.task("mnist_mlp").predict(zoo.load("mnist_mlp"), x[:8], top=3)
    for got, want in zip(body["predictions"], expected, strict=True):
        assert set(got) >= {"label", "probability", "top"} and len(got["top"]) == 3
        assert got["label"] == want["top"][0]["name"] == got["top"][0]["label"]
        assert got["probability"] == pytest.approx(want["top"][0]["probability"], abs=1e-5)
    right = [p["label"] == str(label) for p, label in zip(body["predictions"], y[:8], strict=True)]
    assert sum(right) >= 6  # the MLP reads 98% of MNIST test; these are 8 real test digits


def test_medical_prediction_has_the_decision_and_the_overlay(client):
    x, y = zoo.datasets.load_sample("pneumoniamnist")
    files = [("file", ("xray.png", png(x[0]), "image/png"))]
    body = client.post(
        "/api/v1/models/pneumonia_resnet/predict", files=files, params={"heatmap": True}
    ).json()
    (result,) = body["predictions"]
    assert result["finding"] == "pneumonia" and 0 <= result["finding_probability"] <= 1
    assert result["flagged"] == (result["finding_probability"] >= result["threshold"])
    assert "val" in result["operating_point"]  # the validation-fitted point of the shipped weights
    overlay = _image(result["heatmap_png_base64"])
    assert overlay.size == (224, 224) and overlay.mode == "RGB"


def test_generate_text_is_the_samplers(client):
    body = client.post(
        "/api/v1/models/char_gpt/generate", json={"prompt": "ROMEO:", "max_new": 30, "sampler": "greedy"}
    ).json()
    task, model = zoo.task("char_gpt"), zoo.load("char_gpt")
    expected = task.generate(model, {"prompt": "ROMEO:", "max_new": 30, "sampler": "greedy"})["text"]
    assert body["text"] == expected and len(body["text"]) >= 30


def test_generate_digits_and_play_an_episode(client):
    body = client.post("/api/v1/models/dcgan_mnist/generate", json={"digit": "3", "n": 4, "seed": 1}).json()
    assert _image(body["image_png_base64"]).size[0] >= 56  # a 2x2 sheet of 28x28 digits at least
    body = client.post("/api/v1/models/dqn_cartpole/play", json={"seed": 3}).json()
    assert body["return"] >= 195  # the shipped agent solves CartPole (mean return 500 on its card)
    assert base64.b64decode(body["gif_base64"])[:6] in (b"GIF87a", b"GIF89a")


def test_recommend_from_liked_titles(client):
    body = client.post("/api/v1/recommend", json={"liked": ["Cowboy Bebop", "Steins;Gate"], "k": 5}).json()
    titles = [r["title"] for r in body["recommendations"]]
    assert len(titles) == 5 and not {"Cowboy Bebop", "Steins;Gate"} & set(titles)
    assert all(r["because"][0] in ("Cowboy Bebop", "Steins;Gate") for r in body["recommendations"])
    scores = [r["score"] for r in body["recommendations"]]
    assert scores == sorted(scores, reverse=True)


def test_forecast_a_bundled_ticker_and_an_uploaded_csv(client):
    body = client.post("/api/v1/forecast", data={"ticker": "SPY", "horizon": 5, "plot": True}).json()
    assert body["ticker"] == "SPY" and set(body["forecasts"]) == {"1", "5"}
    assert {"ts_transformer", "garch", "har"} <= set(body["forecasts"]["5"])
    assert _image(body["plot_png_base64"]).size[0] > 400
    from zoo.datasets import prices

    bars = prices.load("IBM", sample=True)
    rows = ["Date,Open,High,Low,Close"] + [
        f"{d},{o},{h},{lo},{c}"
        for d, o, h, lo, c in zip(bars.dates, bars.open, bars.high, bars.low, bars.close, strict=True)
    ]
    upload = client.post(
        "/api/v1/forecast", data={"horizon": 1}, files={"file": ("ibm.csv", "\n".join(rows))}
    )
    forecast = upload.json()["forecasts"]["1"]["ts_transformer"]
    assert upload.status_code == 200 and forecast["variance"] > 0


def test_feedback_lands_in_the_database(client, service):
    sent = client.post("/api/v1/feedback", json={"model": "two_tower", "kind": "like", "label": "Monster"})
    rows = client.get("/api/v1/feedback", params={"model": "two_tower"}).json()["feedback"]
    row = next(r for r in rows if r["id"] == sent.json()["id"])
    assert row["kind"] == "like" and row["label"] == "Monster" and row["version"].startswith("sha256:")
    picture = png(np.zeros((28, 28)))
    sent = client.post(
        "/api/v1/feedback",
        json={
            "model": "mnist_mlp",
            "kind": "label",
            "label": "4",
            "input_base64": base64.b64encode(picture).decode(),
        },
    )
    (stored,) = [
        r for r in service.store.rows(model="mnist_mlp", with_input=True) if r["id"] == sent.json()["id"]
    ]
    assert stored["input"] == picture and len(stored["input_sha256"]) == 64


def test_an_npy_of_several_rows_answers_each_row(client):
    rows = np.random.default_rng(0).normal(size=(3, 10)).astype("float32")  # diabetes: 10 features
    buffer = io.BytesIO()
    np.save(buffer, rows)
    body = client.post(
        "/api/v1/models/linear_regression/predict", files={"file": ("x.npy", buffer.getvalue())}
    )
    assert body.status_code == 200, body.text
    assert [p["file"] for p in body.json()["predictions"]] == ["x.npy[0]", "x.npy[1]", "x.npy[2]"]
    expected = zoo.task("linear_regression").predict(zoo.load("linear_regression"), rows)
    got = [p["prediction"] for p in body.json()["predictions"]]
    assert got == pytest.approx([e["prediction"] for e in expected], rel=1e-5)
