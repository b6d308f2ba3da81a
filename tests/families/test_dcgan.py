"""dcgan_mnist: FID against known Gaussians, adversarial training steps, the shipped generator, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zoo
from tests.conftest import requires_full_mnist
from zoo import cli
from zoo.families.dcgan import dcgan_mnist, gan_metrics

# Class agreement of the shipped generator measured on 10,000 samples (`zoo eval dcgan_mnist --json`).
MEASURED_AGREEMENT = 0.9615


def test_frechet_distance_of_known_gaussians():
    # Diagonal covariances: FID = |mu_a - mu_b|^2 + sum (sqrt(a) - sqrt(b))^2.
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0
    found = gan_metrics.frechet_distance(mean_a, np.diag(var_a), mean_b, np.diag(var_b))
    assert found == pytest.approx(expected, abs=1e-9)
    # A full covariance against itself: zero.
    rotation = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]
    cov = rotation @ np.diag(var_a) @ rotation.T
    assert gan_metrics.frechet_distance(mean_a, cov, mean_a, cov) == pytest.approx(0.0, abs=1e-6)


def test_fid_from_samples_approaches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, size=(20_000, 2))
    b = rng.normal(3.0, 2.0, size=(20_000, 2))
    assert gan_metrics.fid(a, b) == pytest.approx(2 * 9 + 2 * 1, rel=0.03)


def test_a_few_training_steps_change_both_nets_and_stay_finite(mnist_sample):
    images, labels = mnist_sample
    gan = dcgan_mnist.build_gan(dcgan_mnist.GANRecipe())
    generator, discriminator = gan.generator, gan.discriminator
    before_g = [np.array(w) for w in generator.get_weights()]
    before_d = [np.array(w) for w in discriminator.get_weights()]
    history = gan.fit(dcgan_mnist.GANBatches(images[:96], labels[:96], 32, 64), epochs=1, verbose=0)
    for key in ("d_loss", "g_loss"):
        assert np.isfinite(history.history[key]).all()
    assert any(not np.allclose(a, b) for a, b in zip(before_g, generator.get_weights(), strict=True))
    assert any(not np.allclose(a, b) for a, b in zip(before_d, discriminator.get_weights(), strict=True))


def test_minimax_loss_option_trains_too(mnist_sample):
    images, labels = mnist_sample
    gan = dcgan_mnist.build_gan(dcgan_mnist.GANRecipe(loss="minimax"))
    history = gan.fit(dcgan_mnist.GANBatches(images[:64], labels[:64], 32, 64), epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    with pytest.raises(ValueError, match="unknown GAN loss 'hinge'"):
        dcgan_mnist.ConditionalGAN(gan.generator, gan.discriminator, dcgan_mnist.GANRecipe(loss="hinge"))


@pytest.fixture(scope="module")
def generator():
    return zoo.load("dcgan_mnist")


def test_shipped_generator_draws_the_requested_digits(generator):
    classifier, _ = gan_metrics.classifier_and_features()
    labels = gan_metrics.balanced_labels(1000)
    images = generator.generate(labels, seed=123)
    assert images.shape == (1000, 28, 28) and images.dtype == np.uint8
    agreement = np.mean(classifier.predict(images[..., None], verbose=0).argmax(-1) == labels)
    # 3 binomial standard deviations below the 10,000-sample figure.
    n = len(labels)
    assert (
        agreement
        >= MEASURED_AGREEMENT - 3 * np.sqrt(MEASURED_AGREEMENT * (1 - MEASURED_AGREEMENT) / n) - 1 / n
    )


def test_same_seed_same_images(generator):
    first = generator.generate([3, 1, 4, 1, 5], seed=9)
    np.testing.assert_array_equal(first, generator.generate([3, 1, 4, 1, 5], seed=9))
    assert not np.array_equal(first, generator.generate([3, 1, 4, 1, 5], seed=10))


@pytest.mark.parametrize(
    "labels, message", [([3, 10], "digit 10 is not a digit"), ([], "generate 1 to 10000")]
)
def test_generate_refuses_bad_labels(generator, labels, message):
    with pytest.raises(ValueError, match=message):
        generator.generate(labels)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--digit", "11"], "--digit 11 is not a digit"),
        (["--digit", "7", "--n", "0"], "--n: 0 is out of range (1 to 10000)"),
        (["--digit", "7", "--n", "100000"], "--n: 100000 is out of range (1 to 10000)"),
        (["--digit", "all", "--n", "5"], "--n must be at least 10"),
        ([], "say which digit"),
    ],
)
def test_cli_generate_bad_input(capsys, tmp_path, argv, message):
    assert cli.main(["generate", "dcgan_mnist", *argv, "--out", str(tmp_path / "x.png")]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, size",
    [
        (["--digit", "7", "--n", "16"], (4 * 30 + 2, 4 * 30 + 2)),
        (["--digit", "all", "--n", "30"], (10 * 30 + 2, 3 * 30 + 2)),
        (["--digit", "all", "--interpolate", "--n", "5"], (10 * 30 + 2, 5 * 30 + 2)),
    ],
)
def test_cli_generate_writes_grids(capsys, tmp_path, argv, size):
    from PIL import Image

    out = tmp_path / "grid.png"
    assert cli.main(["generate", "dcgan_mnist", *argv, "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["out"] == str(out)
    height, width = size
    assert Image.open(out).size == (2 * width, 2 * height)  # tiles of 28 + 2 px padding, scaled 2x


@requires_full_mnist
def test_eval_json_keys(capsys):
    assert cli.main(["eval", "dcgan_mnist", "--n", "500", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 500
    assert {"class_agreement", "fid", "fid_real_reference"} <= set(result["metrics"])
    assert result["metrics"]["fid_real_reference"] < result["metrics"]["fid"]
