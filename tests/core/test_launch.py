"""Multi-process data-parallel training (zoo launch): two processes train as one, a dead rank stops
the run with a clear error and the run resumes from rank 0's checkpoint, bad launches are refused.

Each run is a set of fresh processes on loopback, bounded by a timeout. The equality check runs on
every backend; the refusals, which start no framework, and the supervision run once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from zoo.core import launch

ROOT = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "tests.core.launch_worker"]


def _env(backend_name: str) -> dict:
    return {**os.environ, "KERAS_BACKEND": backend_name, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def test_two_processes_train_exactly_as_one(backend_name, tiny_mnist_dir, tmp_path, monkeypatch):
    single = tmp_path / "single"
    single.mkdir()
    done = subprocess.run(
        [*WORKER, str(tiny_mnist_dir), str(single)],
        env=_env(backend_name), cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    double = tmp_path / "double"
    double.mkdir()
    for name, value in _env(backend_name).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ROOT)
    argv = [str(tiny_mnist_dir), str(double), "--distribute"]
    assert launch.launch(argv, 2, program=WORKER, ports=2, log=print) == 0
    _assert_trained_as_one(single, double)

    if backend_name == "tensorflow":  # a cluster's TF_CONFIG instead of zoo launch: the same run
        by_tf_config = tmp_path / "tf_config"
        by_tf_config.mkdir()
        first = launch.free_port(ports=2)
        workers = [f"127.0.0.1:{first + r}" for r in range(2)]
        processes = [
            subprocess.Popen(
                [*WORKER, str(tiny_mnist_dir), str(by_tf_config), "--distribute"], cwd=ROOT,
                env={**_env(backend_name), "TF_CONFIG": json.dumps(
                    {"cluster": {"worker": workers}, "task": {"type": "worker", "index": r}})},
            )
            for r in range(2)
        ]  # fmt: skip
        assert [p.wait(timeout=300) for p in processes] == [0, 0]
        _assert_trained_as_one(single, by_tf_config)


def _assert_trained_as_one(single: Path, double: Path) -> None:
    one = np.load(single / "rank0.npz")
    ranks = [np.load(double / f"rank{r}.npz") for r in (0, 1)]
    assert len(one["losses"]) == len(ranks[0]["losses"]) == len(ranks[1]["losses"]) >= 2
    # jax: every process sees the global batch's loss; torch, tensorflow: each its own half, averaged here
    together = np.mean([r["losses"] for r in ranks], axis=0)
    np.testing.assert_allclose(together, one["losses"], rtol=1e-4)
    assert one["losses"][-1] < one["losses"][0]  # it trained
    weights = [k for k in one.files if k != "losses"]
    for key in weights:
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key])  # replicas agree bit for bit
        np.testing.assert_allclose(ranks[0][key], one[key], rtol=1e-4, atol=1e-5)
    metrics = json.loads((double / "run" / "mnist_mlp.metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["batch_size"] == 64  # written by rank 0 alone


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _rank_of(pid: int) -> int | None:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    ranks = [int(e.split(b"=", 1)[1]) for e in environ if e.startswith(b"ZOO_RANK=")]
    return ranks[0] if ranks else None


def _long_run(tiny_mnist_dir, out: Path):
    """(command, launcher) of a 300-epoch torch launch, returned once rank 0 has checkpointed."""
    command = [sys.executable, "-m", "zoo", "launch", "--nproc", "2", "train", "mnist_mlp", "--epochs", "300",
               "--data-dir", str(tiny_mnist_dir), "--out", str(out)]  # fmt: skip
    launcher = subprocess.Popen(command, env=_env("torch"), cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / "checkpoint" / "state.json").exists():
        if launcher.poll() is not None or time.time() > deadline:
            launcher.kill()
            pytest.fail("no checkpoint appeared")
        time.sleep(0.2)
    return command, launcher


def test_a_dead_rank_stops_the_run_and_it_resumes(backend_name, tiny_mnist_dir, tmp_path):
    if backend_name != "torch":
        pytest.skip("the launcher's supervision is backend-independent: checked in the torch pass")
    out = tmp_path / "run"
    command, launcher = _long_run(tiny_mnist_dir, out)
    try:
        follower = next(pid for pid in _children(launcher.pid) if _rank_of(pid) == 1)
        os.kill(follower, signal.SIGKILL)
        _, stderr = launcher.communicate(timeout=60)  # no hang: the launcher stops rank 0
    finally:
        launcher.kill()
    assert launcher.returncode == 1
    assert "rank 1 was killed by signal 9" in stderr and "--resume" in stderr
    assert "Traceback" not in stderr  # rank 0's broken collective is one line, not gloo's traceback
    stopped_after = json.loads((out / "checkpoint" / "state.json").read_text())["epoch"]
    assert 1 <= stopped_after < 300

    resumed = subprocess.run([*command, "--resume", "--json"], env=_env("torch"), cwd=ROOT,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"after epoch {stopped_after}" in resumed.stderr
    result = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert result["processes"] == 2 and len(result["history"]["loss"]) == 300


def test_a_stopped_launcher_stops_its_processes(backend_name, tiny_mnist_dir, tmp_path):
    if backend_name != "torch":
        pytest.skip("the launcher's supervision is backend-independent: checked in the torch pass")
    _, launcher = _long_run(tiny_mnist_dir, tmp_path / "run")
    try:
        ranks = _children(launcher.pid)
        launcher.send_signal(signal.SIGTERM)  # a scheduler's cancel
        _, stderr = launcher.communicate(timeout=60)
    finally:
        launcher.kill()
    assert launcher.returncode == 128 + signal.SIGTERM and "stopped by signal 15" in stderr
    assert len(ranks) == 2 and not any(Path(f"/proc/{pid}").exists() for pid in ranks)


def _launch(*argv, backend_name="torch"):
    """`zoo launch ARGV` in a fresh process (the launcher imports no framework: fast)."""
    done = subprocess.run([sys.executable, "-m", "zoo", "launch", *argv], env=_env(backend_name), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--nproc", "0", "train", "mnist_mlp"], "--nproc"),
        (["--nproc", "2", "eval", "mnist_mlp"], "starts `train NAME ...`"),
        (["--nproc", "2"], "got 'nothing'"),
        (["--nproc", "2", "train", "char_gpt"], "loop of its own"),
        (["--nproc", "2", "train", "no_such_model"], "no_such_model"),
        (["--nnodes", "2", "train", "mnist_mlp"], "--master"),
        (
            ["--nnodes", "2", "--node-rank", "2", "--master", "10.0.0.1:29500", "train", "mnist_mlp"],
            "--node-rank",
        ),
        (["--master", "localhost:99999", "--nproc", "2", "train", "mnist_mlp"], "port from 1 to 65535"),
        (["--nproc", "1", "train", "mnist_mlp"], "plain `zoo train`"),
        (["--nproc", "2", "train", "mnist_mlp", "--epochs", "0"], "--epochs"),
    ],
)
def test_bad_launches_are_one_sentence(backend_name, argv, says):
    if backend_name != "tensorflow":
        pytest.skip("the launcher's refusals start no framework: checked once, in the tensorflow pass")
    code, err = _launch(*argv)
    assert code == 2 and says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_port_in_use_an_unknown_backend_or_tensorflow_across_hosts_are_refused(backend_name):
    if backend_name != "tensorflow":
        pytest.skip("the launcher's refusals start no framework: checked once, in the tensorflow pass")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, err = _launch("--nproc", "2", "--master", f"127.0.0.1:{port}", "train", "mnist_mlp")
        assert code == 2 and f"cannot listen on 127.0.0.1:{port}: address already in use" in err
        # tensorflow's second worker listens on the next port: that one must be free as well
        code, err = _launch("--nproc", "2", "--master", f"127.0.0.1:{port - 1}", "train", "mnist_mlp",
                            backend_name="tensorflow")  # fmt: skip
        assert code == 2 and f"cannot listen on 127.0.0.1:{port}: address already in use" in err
    code, err = _launch("--nnodes", "2", "--master", "10.0.0.1:29500", "train", "mnist_mlp",
                        backend_name="tensorflow")  # fmt: skip
    assert code == 2 and "one host" in err and "TF_CONFIG" in err
    code, err = _launch("--master", "127.0.0.1:65535", "--nproc", "2", "train", "mnist_mlp",
                        backend_name="tensorflow")  # fmt: skip
    assert code == 2 and "ports 65535-65536, past 65535" in err
    code, err = _launch("--nproc", "2", "train", "mnist_mlp", backend_name="nope")
    assert code == 2 and "'nope'" in err


def test_the_world_comes_from_zoo_launch_torchrun_or_tf_config():
    assert launch.world({}) == launch.World()
    zoo_env = {"ZOO_RANK": "1", "ZOO_WORLD_SIZE": "2", "ZOO_LOCAL_RANK": "1", "ZOO_MASTER": "h:1"}
    assert launch.world(zoo_env) == launch.World(1, 2, 1, "h:1")
    torchrun = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "MASTER_ADDR": "h", "MASTER_PORT": "29500"}
    assert launch.world(torchrun) == launch.World(3, 4, 1, "h:29500")
    with pytest.raises(ValueError, match="outside"):
        launch.world({**zoo_env, "ZOO_RANK": "2"})
    cluster = {"chief": ["c:1"], "worker": ["w:1", "w:2"]}
    tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    on_tensorflow = {"TF_CONFIG": tf_config, "KERAS_BACKEND": "tensorflow"}
    assert launch.world(on_tensorflow) == launch.World(2, 3, 0, "c:1")  # chief first
    assert launch.world({**on_tensorflow, "KERAS_BACKEND": "jax"}) == launch.World()  # TensorFlow's alone
    with pytest.raises(ValueError, match="does not place this process"):
        launch.world({**on_tensorflow, "TF_CONFIG": '{"cluster": {}}'})
    envs = launch.environments(2, 2, 1, "h:7")
    assert [e["ZOO_RANK"] for e in envs] == ["2", "3"] and {e["WORLD_SIZE"] for e in envs} == {"4"}


@pytest.mark.parametrize("rows, batches, last", [(64, 2, 32), (66, 2, 32), (70, 3, 4), (31, 1, 28)])
def test_the_slices_of_every_global_batch_are_equal_and_never_empty(rows, batches, last):
    from zoo.core.training import ArrayDataset

    x, y = np.arange(rows * 2, dtype="float32").reshape(rows, 2), np.arange(rows)
    one = ArrayDataset(x, y, 32, seed=3)
    parts = [ArrayDataset(x, y, 32, seed=3, shard=(rank, 4)) for rank in range(4)]
    assert all(len(p) == batches for p in parts)
    for index in range(batches):
        slices = [p[index][1] for p in parts]
        assert {len(s) for s in slices} == {(32 if index < batches - 1 else last) // 4}
        np.testing.assert_array_equal(np.concatenate(slices), one[index][1][: sum(map(len, slices))])
    with pytest.raises(ValueError, match="multiple of 4"):
        ArrayDataset(x, y, 30, shard=(0, 4))
