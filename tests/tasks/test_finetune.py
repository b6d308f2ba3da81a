"""`zoo finetune`: a model directory that loads, predicts and resumes; bad images, CSVs and texts refused."""

from __future__ import annotations

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from zoo.cli import main
from zoo.core import model_dir, training
from zoo.core.finetuning import FinetuneOptions

ONCE = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="backend-independent: run once")


class KillAfterAnEpoch(keras.callbacks.Callback):
    """A kill right after the first epoch was checkpointed."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


def write_images(folder, x, y, names):
    for i, (image, label) in enumerate(zip(x, y, strict=True)):
        (folder / names[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.asarray(image, dtype="uint8")).save(folder / names[label] / f"{i}.png")
    return folder


@pytest.fixture(scope="module")
def breast_images():
    """48 real BreastMNIST test images, 24 of each class (the bundled sample)."""
    x, y = zoo.datasets.load_sample("breastmnist")
    rows = np.concatenate([np.flatnonzero(y == 0)[:24], np.flatnonzero(y == 1)[:24]])
    return x[rows], y[rows]


@pytest.fixture
def photos(tmp_path, breast_images):
    return write_images(tmp_path / "photos", *breast_images, ["lesion", "clear"])


@pytest.fixture(scope="module")
def tuned(tmp_path_factory, breast_images):
    """pneumonia_resnet fine-tuned for 2 epochs (1 frozen) on the 48 images, once per backend."""
    root = tmp_path_factory.mktemp("tuned")
    data = write_images(root / "photos", *breast_images, ["lesion", "clear"])
    options = FinetuneOptions(out_dir=root / "model", epochs=2, freeze_epochs=1, verbose=0)
    result = zoo.task("pneumonia_resnet").finetune(data, options)
    return root, result


def test_the_fine_tuned_directory_loads_predicts_and_measures_what_it_recorded(tuned):
    root, result = tuned
    out = root / "model"
    assert result["classes"] == ["clear", "lesion"] and result["task"] == "binary-classification"
    assert (result["n_train"], result["n_val"]) == (38, 10) and result["base_metrics"] is None
    record = model_dir.read(out)
    assert record["base"] == "pneumonia_resnet" and record["card"]["settings"]["new_layers"] == ["logit"]
    assert record["card"]["data"]["n_train"] == 38 and len(record["card"]["data"]["fingerprint"]) == 64
    model = zoo.load(str(out))
    x = np.stack([np.asarray(Image.open(f)) for f in sorted((root / "photos" / "clear").glob("*.png"))[:3]])
    predictions = zoo.task(str(out)).predict(model, x, top=2)
    assert {p["top"][0]["name"] for p in predictions} <= {"clear", "lesion"}
    assert sum(t["probability"] for t in predictions[0]["top"]) == pytest.approx(1.0)
    measured = zoo.task(str(out)).evaluate(model, data=root / "photos")
    assert measured["n"] == 48 and 0 <= measured["metrics"]["auc"] <= 1
    card = zoo.card(str(out))
    assert card["base"]["model"] == "pneumonia_resnet" and card["labels"] == ["clear", "lesion"]
    assert card["metrics"][keras.backend.backend()]["metrics"] == result["metrics"]


def test_the_base_model_weights_are_carried_into_every_layer_but_the_new_head(tuned):
    root, _ = tuned
    base, tuned_model = zoo.load("pneumonia_resnet"), zoo.load(str(root / "model"))
    stem = next(i for i, layer in enumerate(base.layers) if layer.name == "stem")
    # trained 1 unfrozen epoch at a tenth of the rate: close to the base, not equal to a fresh init
    drift = np.abs(tuned_model.layers[stem].get_weights()[0] - base.layers[stem].get_weights()[0]).max()
    fresh = np.abs(
        zoo.load("pneumonia_resnet", weights=None).layers[stem].get_weights()[0]
        - base.layers[stem].get_weights()[0]
    ).max()
    assert drift < 0.1 * fresh


def test_a_killed_fine_tune_resumes_at_the_next_epoch(tmp_path, photos):
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        zoo.task("pneumonia_resnet").finetune(
            photos,
            FinetuneOptions(
                out_dir=out, epochs=2, freeze_epochs=1, verbose=0, callbacks=[KillAfterAnEpoch()]
            ),
        )
    assert training.last_checkpoint(out / "checkpoint")["epoch"] == 1 and not model_dir.is_model_dir(out)

    class Epochs(keras.callbacks.Callback):
        seen: list = []

        def on_epoch_begin(self, epoch, logs=None):
            self.seen.append(epoch)

    watch = Epochs()
    result = zoo.task("pneumonia_resnet").finetune(
        photos,
        FinetuneOptions(out_dir=out, epochs=2, freeze_epochs=1, verbose=0, resume=True, callbacks=[watch]),
    )
    assert watch.seen == [1] and len(model_dir.read(out)["card"]["history"]["val_loss"]) == 2
    assert result["best_epoch"] in (1, 2)


@ONCE
def test_the_fine_tuned_model_gives_the_same_outputs_on_every_backend(tuned, breast_images):
    root, _ = tuned
    x = breast_images[0][:16]
    np.save(root / "x.npy", x)
    script = (
        "import sys, numpy as np, zoo; model = zoo.load(sys.argv[1]); "
        "np.save(sys.argv[2], np.asarray(model.predict(np.load(sys.argv[3]), verbose=0)))"
    )
    outputs = {}
    for name in ("tensorflow", "jax", "torch"):
        subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                str(root / "model"),
                str(root / f"{name}.npy"),
                str(root / "x.npy"),
            ],
            check=True,
            env={**__import__("os").environ, "KERAS_BACKEND": name},
            capture_output=True,
        )
        outputs[name] = np.load(root / f"{name}.npy")
    for name in ("jax", "torch"):
        np.testing.assert_allclose(outputs[name], outputs["tensorflow"], atol=1e-4)


def test_same_classes_keep_the_head_and_report_the_base_on_the_same_validation_data(tmp_path):
    x, y = zoo.datasets.load_sample("mnist")
    data = write_images(tmp_path / "digits", x[:60], y[:60], [str(d) for d in range(10)])
    result = zoo.task("mnist_mlp").finetune(
        data, FinetuneOptions(out_dir=tmp_path / "m", epochs=1, verbose=0)
    )
    assert result["classes"] == [str(d) for d in range(10)] and result["task"] == "classification"
    assert result["base_metrics"]["accuracy"] >= 0.7  # mnist_mlp on real MNIST digits, before training
    assert model_dir.read(tmp_path / "m")["card"]["settings"]["new_layers"] == []


def run_cli(*args):
    return main(["finetune", *map(str, args)])


@ONCE
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d.mkdir(), "has no class subfolders"),
        (lambda d: (d / "only").mkdir(parents=True) or _png(d / "only" / "a.png"), "one class"),
        (lambda d: [(d / c).mkdir(parents=True) for c in "ab"] and _png(d / "a" / "x.png"), "has no images"),
        (lambda d: None, "does not exist"),
    ],
)
def test_bad_data_is_one_sentence_and_leaves_no_output(tmp_path, capsys, make, message):
    data = tmp_path / "data"
    make(data)
    assert run_cli("pneumonia_resnet", "--data", data, "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def _png(path, value=100):
    Image.fromarray(np.full((28, 28), value, dtype="uint8")).save(path)


@ONCE
def test_corrupt_images_are_listed_or_skipped_and_counted(tmp_path, photos, capsys):
    (photos / "clear" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (photos / "lesion" / "empty.jpg").write_bytes(b"")
    assert run_cli("pneumonia_resnet", "--data", photos, "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "2 image(s)" in err and "broken.png" in err and "empty.jpg" in err and "--skip-bad" in err
    assert not (tmp_path / "out").exists()
    args = (
        "pneumonia_resnet",
        "--data",
        photos,
        "--out",
        tmp_path / "out",
        "--epochs",
        1,
        "--skip-bad",
        "--json",
    )
    assert run_cli(*args) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 2


@ONCE
def test_too_few_images_for_a_validation_split_are_refused(tmp_path, capsys):
    for c in "ab":
        (tmp_path / "d" / c).mkdir(parents=True)
        _png(tmp_path / "d" / c / "1.png")
    assert run_cli("pneumonia_resnet", "--data", tmp_path / "d", "--out", tmp_path / "out") == 2
    assert "too few images for a validation split" in capsys.readouterr().err


@ONCE
@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"x": np.zeros((4, 28, 28))}, "must hold arrays named x and y"),
        ({"x": np.full((4, 28, 28), np.nan), "y": np.array([0, 1, 0, 1])}, "NaN"),
        ({"x": np.zeros((4, 28, 28)), "y": np.array([0.5, 1, 0, 1])}, "whole-number labels"),
        ({"x": np.zeros((3, 28, 28)), "y": np.array([0, 1, 0, 1])}, "one label per image"),
    ],
)
def test_bad_npz_files_are_refused(tmp_path, capsys, arrays, message):
    np.savez(tmp_path / "d.npz", **arrays)
    assert run_cli("pneumonia_resnet", "--data", tmp_path / "d.npz", "--out", tmp_path / "out") == 2
    assert message in capsys.readouterr().err and not (tmp_path / "out").exists()


@ONCE
def test_npz_images_of_another_size_and_colour_are_converted(tmp_path, breast_images):
    from zoo.core import registry, user_data

    x, y = breast_images
    rgb = np.repeat(
        np.asarray([np.asarray(Image.fromarray(i).resize((64, 64))) for i in x])[..., None], 3, -1
    )
    np.savez(tmp_path / "d.npz", x=rgb, y=y, classes=np.array(["a", "b"]))
    data = user_data.read_images(tmp_path / "d.npz", registry.get("pneumonia_resnet"))
    assert data.x.shape == (48, 28, 28) and data.classes == ["a", "b"]
    assert np.abs(data.x.astype(float) - x).mean() < 10  # the same pictures, resampled


def test_a_finished_model_is_not_replaced_without_resume_or_force(tuned, capsys):
    root, _ = tuned
    before = (root / "model" / model_dir.WEIGHTS).read_bytes()
    assert run_cli("pneumonia_resnet", "--data", root / "photos", "--out", root / "model", "--epochs", 1) == 2
    assert "--force" in capsys.readouterr().err
    assert (root / "model" / model_dir.WEIGHTS).read_bytes() == before


@ONCE
def test_models_without_fine_tuning_say_so_and_name_those_with_it(capsys, tmp_path):
    assert run_cli("dcgan_mnist", "--data", tmp_path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "dcgan_mnist (generation) does not finetune" in err and "cifar_resnet" in err


@ONCE
def test_a_folder_that_is_not_a_model_directory_is_named_as_such(tmp_path, capsys):
    assert main(["predict", str(tmp_path), "x.png"]) == 2
    assert "not a model directory" in capsys.readouterr().err


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    from sklearn.datasets import load_diabetes

    path = tmp_path_factory.mktemp("table") / "diabetes.csv"
    load_diabetes(as_frame=True).frame.to_csv(path, index=False)
    return path


def test_a_regressor_fine_tuned_on_a_csv_is_as_good_as_least_squares_on_its_validation_rows(
    tmp_path, diabetes_csv
):
    options = FinetuneOptions(out_dir=tmp_path / "m", target="target", epochs=5, verbose=0)
    result = zoo.task("linear_regression").finetune(diabetes_csv, options)
    assert (result["n_train"], result["n_val"]) == (353, 89) and result["target"] == "target"
    assert result["metrics"]["mse"] <= 1.01 * result["metrics"]["ols_mse"]  # the convex recipe reaches it
    model = zoo.load(str(tmp_path / "m"))
    measured = zoo.task(str(tmp_path / "m")).evaluate(model, data=diabetes_csv)
    assert measured["n"] == 442 and "ols_mse" not in measured["metrics"]  # no training split to fit on


@ONCE
@pytest.mark.parametrize(
    "csv, target, message",
    [
        ("a,b,y\n1,2,3\n", None, "--target is required"),
        ("a,b,y\n1,2,3\n", "z", "lacks the columns z"),
        ("a,b,y\n1,x,3\n2,3,4\n", "y", "the columns b hold text"),
        ("a,b,y\n1,,3\n2,3,4\n", "y", "missing or infinite values"),
        ("a,b,y\n1,2,3\n2,3,4\n3,4,5\n", "y", "too few for a validation split"),
        ("y\n1\n2\n", "y", "no feature columns"),
    ],
)
def test_bad_csv_files_are_one_sentence(tmp_path, capsys, csv, target, message):
    (tmp_path / "t.csv").write_text(csv)
    extra = ["--target", target] if target else []
    assert run_cli("linear_regression", "--data", tmp_path / "t.csv", "--out", tmp_path / "o", *extra) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    text, _ = zoo.datasets.load_sample("tinyshakespeare")
    path = tmp_path_factory.mktemp("text") / "play.txt"
    path.write_text(text[:4000], encoding="utf-8")
    return path


def test_char_gpt_fine_tunes_on_a_text_and_reports_both_losses_on_its_last_tenth(tmp_path, text_file):
    options = FinetuneOptions(out_dir=tmp_path / "lm", epochs=1, steps=2, batch_size=2, verbose=0)
    result = zoo.task("char_gpt").finetune(text_file, options)
    assert result["task"] == "language-modeling" and result["n_val"] == 399  # characters scored in 400
    assert 0.5 < result["base_metrics"]["val_loss"] < 3 and 0.5 < result["metrics"]["val_loss"] < 3
    model = zoo.load(str(tmp_path / "lm"))
    generated = zoo.task(str(tmp_path / "lm")).generate(model, {"prompt": "ROMEO:", "max_new": 5})
    assert len(generated["text"]) >= 5
    measured = zoo.task(str(tmp_path / "lm")).evaluate(model, data=text_file)
    assert measured["n"] == 3999


@ONCE
@pytest.mark.parametrize(
    "content, message",
    [
        ("Grüße aus Köln. " * 40, "outside the model's vocabulary"),
        ("To be. " * 10, "needs more than"),
        (b"\xff\xfe not utf-8 " * 40, "is not UTF-8 text"),
        ("   \n\n", "holds no text"),
    ],
)
def test_bad_text_is_one_sentence(tmp_path, capsys, content, message):
    path = tmp_path / "t.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    assert run_cli("char_gpt", "--data", path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def ratings_csv(tmp_path_factory):
    """The bundled anime sample's first 120 users as a user,item,rating CSV (string ids)."""
    from zoo.datasets import anime

    parts = anime.load_sample()
    matrix = (parts.train + parts.val + parts.test).tocoo()
    users = np.unique(matrix.row)[:120]
    keep = np.isin(matrix.row, users)
    path = tmp_path_factory.mktemp("ratings") / "ratings.csv"
    lines = [
        "user,item,rating",
        *(f"u{u},a{i},9" for u, i in zip(matrix.row[keep], matrix.col[keep], strict=True)),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_recommender_trained_on_a_csv_is_compared_with_the_baselines_and_measured_again(
    tmp_path, ratings_csv
):
    options = FinetuneOptions(out_dir=tmp_path / "rec", epochs=2, verbose=0)
    result = zoo.task("mult_vae").finetune(ratings_csv, options)
    assert set(result["test"]) == {"model", "popularity", "ials", "item_knn", "ease"}
    assert all(0 <= row["ndcg@10"] <= 1 for row in result["test"].values())
    assert result["best_epoch"] in (1, 2) and 0 <= result["metrics"]["ndcg@10"] <= 1
    out = str(tmp_path / "rec")
    measured = zoo.task(out).evaluate(zoo.load(out), data=ratings_csv)
    assert measured["metrics"]["ndcg@10"] == pytest.approx(result["test"]["model"]["ndcg@10"], abs=1e-6)


@ONCE
@pytest.mark.parametrize(
    "csv, message",
    [
        ("person,thing\na,b\n", "lacks the columns user, item"),
        ("user,item\na,\n", "empty user or item"),
        ("user,item\na,x\na,y\nb,x\n", "too few items per user"),
    ],
)
def test_bad_interaction_files_are_one_sentence(tmp_path, capsys, csv, message):
    (tmp_path / "r.csv").write_text(csv)
    assert run_cli("two_tower", "--data", tmp_path / "r.csv", "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def bars_folder(tmp_path_factory):
    """The bundled SPY and IBM bars (1,000 days each) as OHLC CSVs."""
    from zoo.datasets import prices

    folder = tmp_path_factory.mktemp("bars")
    for ticker in prices.SAMPLE_TICKERS:
        b = prices.load(ticker, sample=True)
        rows = zip(b.dates, b.open, b.high, b.low, b.close, strict=True)
        lines = ["Date,Open,High,Low,Close", *(",".join(map(str, row)) for row in rows)]
        (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_the_forecaster_fine_tunes_before_the_cut_and_walks_forward_after_it(tmp_path, bars_folder):
    options = FinetuneOptions(out_dir=tmp_path / "ts", epochs=1, cut="2016-06-01", verbose=0)
    result = zoo.task("ts_transformer").finetune(bars_folder, options)
    assert result["cut"] == "2016-06-01" and set(result["base_metrics"]) == {"val_loss"}
    qlike = result["after_cut"]["rv1"]["qlike"]
    assert {"naive", "ewma", "garch", "har", "ts_transformer", "ts_transformer (shipped)"} == set(qlike)
    out = str(tmp_path / "ts")
    measured = zoo.task(out).evaluate(zoo.load(out), data=bars_folder)
    assert measured["metrics"]["qlike_rv1"] == pytest.approx(qlike["ts_transformer"], rel=1e-5)


@ONCE
def test_a_cut_that_leaves_too_little_history_is_refused(tmp_path, bars_folder, capsys):
    assert (
        run_cli("ts_transformer", "--data", bars_folder, "--out", tmp_path / "o", "--cut", "2014-12-01") == 2
    )
    err = capsys.readouterr().err
    assert "pass a later --cut" in err and not (tmp_path / "o").exists()


@ONCE
def test_a_model_directory_exports_like_a_zoo_model(tuned, tmp_path):
    from zoo import export

    root, _ = tuned
    result = export.export(str(root / "model"), "saved_model", tmp_path)
    assert result["model"] == "model" and result["max_abs_diff"] <= 1e-4 and (tmp_path / "model").is_dir()


def test_a_model_directory_fine_tunes_again_and_still_loads(tuned, tmp_path):
    root, _ = tuned
    options = FinetuneOptions(out_dir=tmp_path / "again", epochs=1, verbose=0)
    result = zoo.task(str(root / "model")).finetune(root / "photos", options)
    record = model_dir.read(tmp_path / "again")
    assert (record["base"], record["parent"]) == ("pneumonia_resnet", "model")
    assert result["base_metrics"] is not None  # the same classes: the parent's head carried over
    assert zoo.load(str(tmp_path / "again")).count_params() == zoo.load("pneumonia_resnet").count_params()


@ONCE
@pytest.mark.parametrize(
    "base, flags, message",
    [
        ("char_gpt", ["--skip-bad"], "--skip-bad does not apply to char_gpt"),
        ("pneumonia_resnet", ["--cut", "2020-01-01", "--steps", "3"], "--steps and --cut do not apply"),
        ("mult_vae", ["--val-split", "0.3"], "--val-split does not apply to mult_vae"),
    ],
)
def test_an_option_the_task_does_not_use_is_refused_by_name(tmp_path, capsys, base, flags, message):
    assert run_cli(base, "--data", tmp_path, "--out", tmp_path / "o", *flags) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_resume_refuses_other_data(tmp_path, photos, breast_images):
    out = tmp_path / "model"
    with pytest.raises(KeyboardInterrupt):
        zoo.task("pneumonia_resnet").finetune(
            photos, FinetuneOptions(out_dir=out, epochs=2, verbose=0, callbacks=[KillAfterAnEpoch()])
        )
    other = write_images(tmp_path / "other", *breast_images, ["benign", "malignant"])
    for image in sorted((other / "benign").glob("*.png"))[:3]:
        image.unlink()
    with pytest.raises(ValueError, match="trained on other data"):
        zoo.task("pneumonia_resnet").finetune(
            other, FinetuneOptions(out_dir=out, epochs=2, verbose=0, resume=True)
        )


@ONCE
def test_a_split_without_every_class_in_validation_is_refused(tmp_path, capsys):
    for name, count in (("common", 20), ("rare", 2)):
        (tmp_path / "d" / name).mkdir(parents=True)
        for i in range(count):
            _png(tmp_path / "d" / name / f"{i}.png", value=10 * i)
    assert run_cli("pneumonia_resnet", "--data", tmp_path / "d", "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "holds no image of rare" in err and not (tmp_path / "o").exists()


@ONCE
@pytest.mark.parametrize("content", [b"PK\x03\x04 not a zip", None])
def test_a_damaged_npz_or_a_scalar_label_is_one_sentence(tmp_path, capsys, content):
    path = tmp_path / "d.npz"
    if content is None:
        np.savez(path, x=np.zeros((2, 28, 28)), y=np.array(1))
    else:
        path.write_bytes(content)
    assert run_cli("pneumonia_resnet", "--data", path, "--out", tmp_path / "o") == 2
    assert capsys.readouterr().err.count("\n") == 1


@ONCE
def test_a_cut_after_the_data_is_refused_before_training(tmp_path, bars_folder, capsys):
    assert (
        run_cli("ts_transformer", "--data", bars_folder, "--out", tmp_path / "o", "--cut", "2017-11-01") == 2
    )
    err = capsys.readouterr().err
    assert "fewer than 30 forecast dates after" in err and not (tmp_path / "o").exists()
