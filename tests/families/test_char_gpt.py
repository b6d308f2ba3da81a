"""char_gpt: tokenizer, shipped-weights loss, cached decoding, samplers, CLI, training and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zoo
from zoo import cli, datasets
from zoo.families.char_gpt import char_gpt, generation, text
from zoo.families.char_gpt.language_modeling import validation_loss

# Measured with the shipped weights on the bundled sample (the first 4,000 validation characters),
# `zoo eval char_gpt --sample --json`, equal on every backend to 1e-4; 0.05 nats worse fails.
SAMPLE_LOSS = 1.3089
SAMPLE_LOSS_MARGIN = 0.05


@pytest.fixture(scope="module")
def model():
    return zoo.load("char_gpt")


@pytest.fixture(scope="module")
def sample_text():
    corpus, _ = datasets.load_sample("tinyshakespeare")
    return corpus


def test_tokenizer_round_trip_and_vocabulary(sample_text):
    tokenizer = text.CharTokenizer(char_gpt.VOCABULARY)
    ids = tokenizer.encode(sample_text)
    assert ids.dtype == np.int32 and ids.min() >= 0 and ids.max() < len(char_gpt.VOCABULARY) == 65
    assert tokenizer.decode(ids) == sample_text


def test_unknown_characters_are_named():
    tokenizer = text.CharTokenizer(char_gpt.VOCABULARY)
    with pytest.raises(text.UnknownCharacters, match=r"'@'.*'é'|'é'.*'@'"):
        tokenizer.encode("ROMEO: é@")


def test_shipped_weights_loss_on_the_bundled_validation_text(model, sample_text):
    measured = validation_loss(model, sample_text)
    assert measured["characters"] == len(sample_text) - 1
    assert measured["val_loss"] <= SAMPLE_LOSS + SAMPLE_LOSS_MARGIN


def test_cached_greedy_equals_uncached_greedy_across_the_window_slide(model, sample_text):
    # A 250-character prompt: the 256-character window fills and slides after 6 new characters.
    prompt = sample_text[:250]
    cached = "".join(generation.generate(model, prompt, 24))
    uncached = "".join(generation.generate(model, prompt, 24, use_cache=False))
    assert cached == uncached == "".join(generation.generate(model, prompt, 24, fused=False))
    assert len(cached) == 24
    assert model.__dict__.get("_zoo_greedy_steps")  # the cached greedy text came from the fused step


def test_same_seed_same_text_and_samplers_differ(model):
    def sample(name, seed):
        return "".join(generation.generate(model, "ROMEO:", 40, generation.make_sampler(name, seed=seed)))

    assert sample("top_k", 7) == sample("top_k", 7)
    assert sample("top_p", 7) != sample("greedy", 7) or sample("random", 7) != sample("greedy", 7)


def test_empty_and_over_long_prompts(model, sample_text):
    assert len("".join(generation.generate(model, "", 5))) == 5
    long_prompt = sample_text[:1000]  # longer than the 256-character context: its end is kept
    assert list(generation.prompt_ids(model, long_prompt)) == list(
        generation.prompt_ids(model, long_prompt[-255:])
    )
    assert len("".join(generation.generate(model, long_prompt, 5))) == 5


def test_cli_generate_json(capsys):
    assert cli.main(["generate", "char_gpt", "--prompt", "ROMEO:", "--max-new", "20", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["text"]) == 20 and result["tokens_per_s"] > 0


def test_cli_generate_streams_prompt_and_continuation(capsys):
    assert (
        cli.main(["generate", "char_gpt", "--prompt", "JULIET:", "--max-new", "10", "--sampler", "top_k"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("JULIET:") and len(out) == len("JULIET:") + 10 + 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--prompt", "naïve"], "outside the model's vocabulary: 'ï'"),
        (["--sampler", "beam"], "unknown sampler 'beam'"),
        (["--max-new", "0"], "--max-new: 0 is out of range (1 to 100000)"),
        (["--temperature", "0"], "--temperature: 0 is not accepted"),
    ],
)
def test_cli_generate_bad_input(capsys, argv, message):
    assert cli.main(["generate", "char_gpt", *argv]) == 2
    assert message in capsys.readouterr().err


def test_eval_sample_json(capsys):
    assert cli.main(["eval", "char_gpt", "--sample", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "val-sample" and result["n"] == 3999
    assert result["metrics"]["perplexity"] == pytest.approx(np.exp(result["metrics"]["val_loss"]))


def test_training_runs_checkpoints_and_resumes(tmp_path, sample_text):
    data = tmp_path / "tinyshakespeare"
    data.mkdir()
    (data / "input.txt").write_text(sample_text * 3)
    run = tmp_path / "run"
    first = zoo.train("char_gpt", epochs=1, steps=2, batch_size=4, out_dir=run, data_dir=tmp_path)
    assert len(first["history"]["loss"]) == 1 and np.isfinite(first["val"]["metrics"]["val_loss"])
    with pytest.raises(FileExistsError):
        zoo.train("char_gpt", epochs=2, steps=2, batch_size=4, out_dir=run, data_dir=tmp_path)
    second = zoo.train(
        "char_gpt", epochs=2, steps=2, batch_size=4, out_dir=run, data_dir=tmp_path, resume=True
    )
    assert len(second["history"]["loss"]) == 2
    assert second["history"]["loss"][0] == first["history"]["loss"][0]
    # the shipped weights are the epoch of lowest validation loss (the whole split, as each epoch scored it)
    curve = second["history"]["val_loss"]
    assert second["best_epoch"] == int(np.argmin(curve)) + 1
    assert second["val"]["metrics"]["val_loss"] == pytest.approx(min(curve), rel=1e-5)
