"""The task contract: every model's task offers what it says, refuses the rest in one sentence,
and the light commands never import a backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import zoo
from zoo.core import hub, registry
from zoo.serve.pages import BUILDERS as PAGES
from zoo.tasks.base import NotSupported, Task

ROOT = Path(__file__).resolve().parents[2]
NAMES = zoo.list_models()
VERBS = {"predict": "predict", "generate": "generate", "play": "play", "finetune": "finetune"}


@pytest.mark.parametrize("name", NAMES)
def test_every_model_has_a_task_class_and_an_importable_module(name):
    spec = registry.get(name)
    assert issubclass(spec.task, Task) and spec.task is not Task
    assert spec.kind == spec.task.kind and spec.task.headline
    assert callable(spec.family().build) and spec.recipe is not None


@pytest.mark.parametrize("name", NAMES)
def test_abilities_match_the_methods(name):
    task = zoo.task(name)
    for ability, method in VERBS.items():
        overridden = getattr(type(task), method) is not getattr(Task, method)
        assert overridden == (ability in task.abilities), (name, ability)
    if "finetune" not in task.abilities:
        with pytest.raises(NotSupported, match="cannot be fine-tuned on your own data"):
            task.finetune(None, None)
    assert task.serve() in PAGES  # every model has a page in `zoo serve` (zoo/serve/pages.py builds it)


def test_an_unsupported_ability_is_one_sentence_with_a_hint():
    with pytest.raises(
        NotSupported, match=r"char_gpt \(language-modeling\) cannot predict from files; it writes"
    ):
        zoo.task("char_gpt").predict(None, None)


def test_with_ability_lists_the_offering_models():
    assert registry.with_ability("play") == ["dqn_cartpole"]
    assert set(registry.with_ability("generate")) == {"char_gpt", "dcgan_mnist"}
    assert "char_gpt" not in registry.with_ability("predict")
    assert set(registry.names()) - set(registry.with_ability("finetune")) == {"dcgan_mnist", "dqn_cartpole"}


def test_no_command_or_door_branches_on_a_task_name():
    kinds = {registry.get(n).kind for n in NAMES}
    for path in ("zoo/cli.py", "zoo/api.py", "zoo/catalog.py", "zoo/export.py"):
        text = (ROOT / path).read_text()
        assert not [k for k in kinds if f'"{k}"' in text], path


@pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow",
    reason="backend-independent: checked in the tensorflow pass",
)
@pytest.mark.parametrize("name", NAMES)
def test_the_manifest_facts_match_the_built_model(name):
    """`zoo list` shows parameter counts from the manifest: they must be the real ones."""
    record = hub.entry(name)
    assert record["params"] == registry.get(name).build().count_params() > 0
    assert record["recipe_summary"] == registry.get(name).recipe_summary()


LIGHT = [["--help"], ["list"], ["list", "--json"], ["info", "char_gpt"], ["info", "mnist_mlp", "--json"],
         ["backends", "--json"]]  # fmt: skip


@pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow", reason="no backend is involved: checked once"
)
@pytest.mark.parametrize("argv", LIGHT, ids=" ".join)
def test_light_commands_import_no_framework_and_print_nothing_on_stderr(argv):
    script = (
        "import sys; from zoo import cli\n"
        "try:\n    code = cli.main(sys.argv[1:])\nexcept SystemExit as exit:\n    code = exit.code\n"
        "heavy = sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules)\n"
        "print('HEAVY', heavy, code, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=60)
    assert done.stderr.strip() == "HEAVY [] 0", done.stderr
    if "--json" in argv:
        json.loads(done.stdout)


def test_a_model_command_is_quiet_on_stderr(backend_name):
    """No TensorFlow, XLA or absl start-up lines: stderr stays empty when nothing is wrong."""
    done = subprocess.run(
        [sys.executable, "-m", "zoo", "--backend", backend_name, "eval", "mnist_mlp", "--sample", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(done.stdout)["metrics"]["accuracy"] > 0.9


def test_training_from_the_shell_shows_progress_but_no_framework_lines(
    backend_name, tiny_mnist_dir, tmp_path
):
    """tf.data and Keras's seeding print native lines mid-run; only Keras's own progress may show."""
    done = subprocess.run(
        [sys.executable, "-m", "zoo", "--backend", backend_name, "train", "mnist_mlp", "--epochs", "1",
         "--data-dir", str(tiny_mnist_dir), "--out", str(tmp_path / "run"), "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    native = [
        line
        for line in done.stderr.splitlines()
        if line.startswith(("I0000", "W0000", "E0000", "WARNING: All"))
    ]
    assert native == [] and "loss" in done.stderr
    assert json.loads(done.stdout)["epochs"] == 1
